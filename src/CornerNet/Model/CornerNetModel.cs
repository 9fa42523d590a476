using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet network of a <see cref="CornerNetConfig.Family"/> (the official <c>kp</c> class, or CornerNet-Lite's
/// <c>hg_net</c>): a stem, stacked hourglasses joined as in §3.5, and per stack a top-left and a bottom-right
/// prediction module with heatmap, embedding and offset heads. Module and parameter names are the official state-dict
/// keys of the family (see Model/README.md), so official checkpoints load by name.
/// In training mode <see cref="forward"/> returns the heads of every stack (intermediate supervision); in eval mode
/// only the last stack's heads are computed, as in the official test path.
/// </summary>
public sealed class CornerNetModel : nn.Module<Tensor, IReadOnlyList<HeadOutputs>>
{
    /// <summary>Initial bias of the heatmap heads' last layer (focal-loss prior, as the official code).</summary>
    public const double HeatBiasInit = -2.19;

    // The parts in a plain record: they are registered once, under the family's official names.
    readonly NetworkParts parts;

    /// <summary>True after <see cref="FoldBatchNorm"/>: the network is then for inference only.</summary>
    public bool IsBatchNormFolded { get; private set; }

    /// <summary>The architecture this network was built from.</summary>
    public CornerNetConfig Config { get; }

    /// <summary>Builds a randomly initialised network for <paramref name="config"/> (default PyTorch init, heat bias
    /// −2.19).</summary>
    public CornerNetModel(CornerNetConfig config) : base("CornerNet")
    {
        config.Validate("model config");
        Config = config;
        var family = config.Family;
        int currDim = config.Dims[0], cnvDim = config.CnvDim, stacks = config.Stacks, headKernel = family.HeadKernel;

        // Construction order = the official one, so that a seed gives the same initial weights as before.
        var stem = family.Stem(config);
        var hourglasses = Repeat(stacks, () => new HourglassModule(family, config.Levels, config.Dims, config.Modules));
        var stackOutputs = Repeat(stacks, () => new ConvolutionModule(3, currDim, cnvDim));
        var tlPools = Repeat(stacks, () => new CornerPoolModule(CornerKind.TopLeft, cnvDim, config.PoolDim, config.CornerPooling));
        var brPools = Repeat(stacks, () => new CornerPoolModule(CornerKind.BottomRight, cnvDim, config.PoolDim, config.CornerPooling));
        var tlHeats = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, config.Classes));
        var brHeats = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, config.Classes));
        var tlTags = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 1));
        var brTags = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 1));
        var joinResiduals = Repeat(stacks - 1, () => new ResidualModule(currDim, currDim));
        var joinInters = Repeat(stacks - 1, () => ConvBn1x1(currDim, currDim));
        var joinCnvs = Repeat(stacks - 1, () => ConvBn1x1(cnvDim, currDim));
        var tlOffsets = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 2));
        var brOffsets = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 2));
        parts = new NetworkParts(stem, hourglasses, stackOutputs, tlPools, brPools, tlHeats, brHeats, tlTags, brTags,
            tlOffsets, brOffsets, joinResiduals, joinInters, joinCnvs);
        foreach (var (name, module) in family.OfficialNames(parts)) register_module(name, module);

        // An explicit, held Scalar: an implicitly converted one can be freed by the GC during the call (see
        // KeptScalars).
        using (no_grad())
        using (var heatBias = HeatBiasInit.ToScalar())
        {
            foreach (var heads in new[] { tlHeats, brHeats })
                foreach (var head in heads)
                    ((Conv2d)head[1]).bias!.fill_(heatBias);
        }
    }

    static ModuleList<T> Repeat<T>(int count, Func<T> create) where T : nn.Module
    {
        var list = new ModuleList<T>();
        for (int i = 0; i < count; i++) list.Add(create());
        return list;
    }

    /// <summary>
    /// The official <c>make_kp_layer</c> (k = 3) or the Lite <c>_pred_mod</c> (k = 1): k×k conv with bias + ReLU, then
    /// a 1×1 conv with bias.
    /// </summary>
    static Sequential Head(int kernel, int cnvDim, int currDim, int outDim) =>
        nn.Sequential(new ConvolutionModule(kernel, cnvDim, currDim, withBatchNorm: false), nn.Conv2d(currDim, outDim, 1));

    /// <summary>The 1×1 Conv-BN that joins two stacks (the paper says 3×3; the official code uses 1×1).</summary>
    static Sequential ConvBn1x1(int inDim, int outDim) =>
        nn.Sequential(nn.Conv2d(inDim, outDim, 1, bias: false), new BatchNorm2dModule(outDim));

    /// <summary>
    /// Makes this network inference-only and faster: every convolution followed by a BatchNorm absorbs that BatchNorm's
    /// running statistics and affine parameters (<see cref="BatchNormFolding"/>), and the BatchNorms are skipped. The
    /// outputs equal the eval-mode outputs before folding up to float rounding. Afterwards the model is switched to
    /// eval mode and refuses training mode; its state dict (the folded weights plus the stale BatchNorm tensors) is no
    /// longer a model file, so <see cref="ModelFile.Save"/> refuses it. Folding twice does nothing.
    /// </summary>
    public void FoldBatchNorm()
    {
        if (IsBatchNormFolded) return;
        eval();
        foreach (var module in modules())
            if (module is NetworkBlock block) block.FoldBatchNorm();
        foreach (var pair in parts.JoinInters.Concat(parts.JoinCnvs)) BatchNormFolding.Fold((Conv2d)pair[0], (BatchNorm2dModule)pair[1]);
        IsBatchNormFolded = true;
    }

    /// <inheritdoc/>
    public override void train(bool train = true)
    {
        if (train && IsBatchNormFolded) throw new InvalidOperationException("a network with folded BatchNorm is for inference only");
        base.train(train);
    }

    /// <summary>Runs the network on a normalized N×3×H×W batch; see the class summary for what is returned.</summary>
    public override IReadOnlyList<HeadOutputs> forward(Tensor image)
    {
        var outputs = new List<HeadOutputs>();
        Tensor inter = parts.Stem.forward(image);
        try
        {
            for (int s = 0; s < Config.Stacks; s++)
            {
                using var kp = parts.Hourglasses[s].forward(inter);
                using var cnv = parts.StackOutputs[s].forward(kp);
                if (training || s == Config.Stacks - 1)
                {
                    using var tl = parts.TlPools[s].forward(cnv);
                    using var br = parts.BrPools[s].forward(cnv);
                    outputs.Add(new HeadOutputs(
                        HeadForward(parts.TlHeats[s], tl), HeadForward(parts.BrHeats[s], br),
                        HeadForward(parts.TlTags[s], tl), HeadForward(parts.BrTags[s], br),
                        HeadForward(parts.TlOffsets[s], tl), HeadForward(parts.BrOffsets[s], br)));
                }
                if (s < Config.Stacks - 1)
                {
                    using var a = ConvBnForward(parts.JoinInters[s], inter);
                    using var b = ConvBnForward(parts.JoinCnvs[s], cnv);
                    using var sum = a.add(b, KeptScalars.One);
                    using var relu = nn.functional.relu(sum);
                    var next = parts.JoinResiduals[s].forward(relu);
                    inter.Dispose();
                    inter = next;
                }
            }
        }
        finally
        {
            inter.Dispose();
        }
        return outputs;
    }

    /// <summary>
    /// Writes the eval-mode forward (BatchNorm folded first) of <paramref name="image"/> into <paramref name="graph"/>,
    /// in the order of <see cref="forward"/>; the last stack's heads become the outputs named as in
    /// <see cref="HeadOutputs.Named"/>.
    /// </summary>
    internal void Write(IOperatorGraph graph, string image)
    {
        FoldBatchNorm();
        string inter = HourglassModule.WriteBlocks(graph, parts.Stem, image);
        for (int s = 0; s < Config.Stacks; s++)
        {
            string cnv = parts.StackOutputs[s].Write(graph, parts.Hourglasses[s].Write(graph, inter));
            if (s == Config.Stacks - 1)
            {
                string tl = parts.TlPools[s].Write(graph, cnv);
                string br = parts.BrPools[s].Write(graph, cnv);
                WriteHead(graph, parts.TlHeats[s], tl, "tl_heats");
                WriteHead(graph, parts.BrHeats[s], br, "br_heats");
                WriteHead(graph, parts.TlTags[s], tl, "tl_tags");
                WriteHead(graph, parts.BrTags[s], br, "br_tags");
                WriteHead(graph, parts.TlOffsets[s], tl, "tl_regrs");
                WriteHead(graph, parts.BrOffsets[s], br, "br_regrs");
            }
            else
            {
                string sum = graph.Add(graph.Conv((Conv2d)parts.JoinInters[s][0], inter), graph.Conv((Conv2d)parts.JoinCnvs[s][0], cnv));
                inter = parts.JoinResiduals[s].Write(graph, graph.Relu(sum));
            }
        }
    }

    static void WriteHead(IOperatorGraph graph, Sequential head, string x, string output) =>
        graph.Conv((Conv2d)head[1], ((ConvolutionModule)head[0]).Write(graph, x), output);

    /// <summary>A head (<see cref="Head"/>): its k×k block, then the 1×1 convolution through
    /// <see cref="GuardedConvolution"/>.</summary>
    static Tensor HeadForward(Sequential head, Tensor x)
    {
        // Heads stay float32 in bf16 training: in bfloat16 they cost 0.04–0.09 AP (docs/BF16-TRAINING.md).
        using var float32 = MixedPrecision.Suspend();
        using var hidden = ((ConvolutionModule)head[0]).forward(x);
        return GuardedConvolution.Forward((Conv2d)head[1], hidden);
    }

    /// <summary>A <see cref="ConvBn1x1"/> pair; after folding only its convolution.</summary>
    Tensor ConvBnForward(Sequential pair, Tensor x)
    {
        var conv = GuardedConvolution.Forward((Conv2d)pair[0], x);
        if (IsBatchNormFolded) return conv;
        using (conv) return ((BatchNorm2dModule)pair[1]).forward(conv);
    }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
