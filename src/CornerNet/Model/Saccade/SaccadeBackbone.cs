using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet-Lite <c>saccade</c> module of CornerNet-Saccade, under the name <c>hg</c>: the stem <c>pre</c>, the
/// hourglasses <c>hgs</c>, their output convolutions <c>cnvs</c> and the stack joins <c>inters_</c>, <c>cnvs_</c>
/// (1×1 conv + BN, summed, ReLU) and <c>inters</c> (residual).
/// </summary>
internal sealed class SaccadeBackbone : nn.Module
{
    internal readonly Sequential pre;
    internal readonly ModuleList<SaccadeHourglassModule> hgs;
    internal readonly ModuleList<ConvolutionModule> cnvs;
    internal readonly ModuleList<ResidualModule> inters;
    internal readonly ModuleList<Sequential> inters_;
    internal readonly ModuleList<Sequential> cnvs_;

    internal SaccadeBackbone(Sequential pre, ModuleList<SaccadeHourglassModule> hgs, ModuleList<ConvolutionModule> cnvs,
        ModuleList<ResidualModule> inters, ModuleList<Sequential> inters_, ModuleList<Sequential> cnvs_) : base("hg")
    {
        this.pre = pre;
        this.hgs = hgs;
        this.cnvs = cnvs;
        this.inters = inters;
        this.inters_ = inters_;
        this.cnvs_ = cnvs_;
        RegisterComponents();
    }

    /// <summary>
    /// Runs the stacks (the official <c>saccade.forward</c>) and hands each stack's <c>cnv</c> and hourglass levels
    /// (innermost first) to <paramref name="stackOutput"/>, which must not keep them: they are disposed afterwards.
    /// </summary>
    internal void Forward(Tensor image, Action<int, Tensor, IReadOnlyList<Tensor>> stackOutput)
    {
        Tensor inter = pre.forward(image);
        try
        {
            for (int s = 0; s < hgs.Count; s++)
            {
                var levels = hgs[s].Levels(inter);
                try
                {
                    using var cnv = cnvs[s].forward(levels[^1]);
                    stackOutput(s, cnv, levels);
                    if (s < hgs.Count - 1)
                    {
                        using var a = ConvBnForward(inters_[s], inter);
                        using var b = ConvBnForward(cnvs_[s], cnv);
                        using var sum = a.add(b, KeptScalars.One);
                        using var relu = nn.functional.relu(sum);
                        var next = inters[s].forward(relu);
                        inter.Dispose();
                        inter = next;
                    }
                }
                finally
                {
                    foreach (var level in levels) level.Dispose();
                }
            }
        }
        finally
        {
            inter.Dispose();
        }
    }

    /// <summary>True after <see cref="FoldJoinBatchNorms"/>: the joins skip their BatchNorms.</summary>
    internal bool JoinsFolded { get; private set; }

    /// <summary>Folds the BatchNorms of the 1×1 joins into their convolutions (inference only).</summary>
    internal void FoldJoinBatchNorms()
    {
        if (JoinsFolded) return;
        foreach (var pair in inters_.Concat(cnvs_)) BatchNormFolding.Fold((Conv2d)pair[0], (BatchNorm2dModule)pair[1]);
        JoinsFolded = true;
    }

    /// <summary>A 1×1 conv + BN join through <see cref="GuardedConvolution"/>.</summary>
    Tensor ConvBnForward(Sequential pair, Tensor x)
    {
        var conv = GuardedConvolution.Forward((Conv2d)pair[0], x);
        if (JoinsFolded) return conv;
        using (conv) return ((BatchNorm2dModule)pair[1]).forward(conv);
    }
}
