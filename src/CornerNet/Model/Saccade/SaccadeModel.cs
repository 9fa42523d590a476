using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet-Saccade network (CornerNet-Lite <c>saccade_net</c> built by <c>CornerNet_Saccade.model</c>): the
/// <see cref="SaccadeBackbone"/> <c>hg</c>, per stack a top-left and a bottom-right corner pool (<c>tl_modules</c>,
/// <c>br_modules</c>), six heads (<c>tl_heats</c> … <c>br_offs</c>: 3×3 conv with bias + ReLU, 1×1 conv) and one
/// attention head per hourglass level (<c>att_modules.s.i</c>: 3×3 conv with bias + ReLU, 1×1 conv to one channel).
/// Field names are the official state-dict keys. In training mode every stack's outputs are computed (official
/// <c>_train</c>); in eval mode only the last stack's (official <c>_test</c>, before its decode and sigmoid).
/// </summary>
internal sealed class SaccadeModel : nn.Module<Tensor, SaccadeOutputs>
{
    readonly SaccadeBackbone hg;
    readonly ModuleList<CornerPoolModule> tl_modules;
    readonly ModuleList<CornerPoolModule> br_modules;
    readonly ModuleList<Sequential> tl_heats;
    readonly ModuleList<Sequential> br_heats;
    readonly ModuleList<Sequential> tl_tags;
    readonly ModuleList<Sequential> br_tags;
    readonly ModuleList<Sequential> tl_offs;
    readonly ModuleList<Sequential> br_offs;
    readonly ModuleList<ModuleList<Sequential>> att_modules;

    /// <summary>The architecture this network was built from.</summary>
    public SaccadeConfig Config { get; }

    /// <summary>Builds a randomly initialised network (heat and attention biases −2.19, as the official
    /// code).</summary>
    public SaccadeModel(SaccadeConfig config) : base("CornerNet_Saccade")
    {
        config.Validate("saccade config");
        Config = config;
        int stacks = config.Stacks, dim = config.Dims[0], cnvDim = config.CnvDim;
        // The official construction order.
        var pre = nn.Sequential(
            new ConvolutionModule(7, 3, config.Stem[0], stride: 2),
            new ResidualModule(config.Stem[0], config.Stem[1], stride: 2));
        var hgs = Repeat(stacks, () => new SaccadeHourglassModule(config.Levels, config.Dims, config.Modules));
        var cnvs = Repeat(stacks, () => new ConvolutionModule(3, dim, cnvDim));
        var inters = Repeat(stacks - 1, () => new ResidualModule(dim, dim));
        var cnvs_ = Repeat(stacks - 1, () => ConvBn1x1(cnvDim, dim));
        var inters_ = Repeat(stacks - 1, () => ConvBn1x1(dim, dim));
        att_modules = Repeat(stacks, () =>
        {
            var heads = new ModuleList<Sequential>();
            for (int i = 0; i < config.Levels; i++) heads.Add(Head(config.AttentionInput(i), config.AttDim, 1));
            return heads;
        });
        hg = new SaccadeBackbone(pre, hgs, cnvs, inters, inters_, cnvs_);
        tl_modules = Repeat(stacks, () => new CornerPoolModule(CornerKind.TopLeft, cnvDim, config.PoolDim));
        br_modules = Repeat(stacks, () => new CornerPoolModule(CornerKind.BottomRight, cnvDim, config.PoolDim));
        tl_heats = Repeat(stacks, () => Head(cnvDim, config.HeadDim, config.Classes));
        br_heats = Repeat(stacks, () => Head(cnvDim, config.HeadDim, config.Classes));
        tl_tags = Repeat(stacks, () => Head(cnvDim, config.HeadDim, 1));
        br_tags = Repeat(stacks, () => Head(cnvDim, config.HeadDim, 1));
        tl_offs = Repeat(stacks, () => Head(cnvDim, config.HeadDim, 2));
        br_offs = Repeat(stacks, () => Head(cnvDim, config.HeadDim, 2));
        RegisterComponents();

        // An explicit, held Scalar (see KeptScalars).
        using (no_grad())
        using (var bias = CornerNetModel.HeatBiasInit.ToScalar())
        {
            foreach (var head in tl_heats.Concat(br_heats).Concat(att_modules.SelectMany(a => a)))
                ((Conv2d)head[1]).bias!.fill_(bias);
        }
    }

    static ModuleList<T> Repeat<T>(int count, Func<T> create) where T : nn.Module
    {
        var list = new ModuleList<T>();
        for (int i = 0; i < count; i++) list.Add(create());
        return list;
    }

    /// <summary>The official <c>_pred_mod</c> and attention head: 3×3 conv with bias + ReLU, then a 1×1 conv with
    /// bias.</summary>
    static Sequential Head(int inDim, int hiddenDim, int outDim) =>
        nn.Sequential(new ConvolutionModule(3, inDim, hiddenDim, withBatchNorm: false),
            nn.Conv2d(hiddenDim, outDim, 1));

    /// <summary>The official <c>_merge_mod</c>: 1×1 conv without bias, BatchNorm.</summary>
    static Sequential ConvBn1x1(int inDim, int outDim) =>
        nn.Sequential(nn.Conv2d(inDim, outDim, 1, bias: false), new BatchNorm2dModule(outDim));

    /// <summary>Runs the network on a normalized N×3×H×W batch; see the class summary for which stacks are
    /// returned.</summary>
    public override SaccadeOutputs forward(Tensor image)
    {
        var heads = new List<HeadOutputs>();
        var attentions = new List<IReadOnlyList<Tensor>>();
        int stacks = Config.Stacks;
        try
        {
            hg.Forward(image, (s, cnv, levels) =>
            {
                if (!training && s < stacks - 1) return;
                using var tl = tl_modules[s].forward(cnv);
                using var br = br_modules[s].forward(cnv);
                heads.Add(new HeadOutputs(
                    HeadForward(tl_heats[s], tl), HeadForward(br_heats[s], br),
                    HeadForward(tl_tags[s], tl), HeadForward(br_tags[s], br),
                    HeadForward(tl_offs[s], tl), HeadForward(br_offs[s], br)));
                attentions.Add(levels.Select((level, i) => HeadForward(att_modules[s][i], level)).ToArray());
            });
        }
        catch
        {
            foreach (var h in heads) h.Dispose();
            foreach (var t in attentions.SelectMany(a => a)) t.Dispose();
            throw;
        }
        return new SaccadeOutputs(heads, attentions);
    }

    /// <summary>True after <see cref="FoldBatchNorm"/>: the network is then for inference only.</summary>
    public bool IsBatchNormFolded { get; private set; }

    /// <summary>
    /// Folds every BatchNorm into its convolution (<see cref="BatchNormFolding"/>) and switches to eval mode for good:
    /// the same eval outputs up to float rounding, faster. Folding twice does nothing.
    /// </summary>
    public void FoldBatchNorm()
    {
        if (IsBatchNormFolded) return;
        eval();
        foreach (var module in modules())
        {
            switch (module)
            {
                case ConvolutionModule convolution: convolution.FoldBatchNorm(); break;
                case ResidualModule residual: residual.FoldBatchNorm(); break;
                case CornerPoolModule pool: pool.FoldBatchNorm(); break;
            }
        }
        hg.FoldJoinBatchNorms();
        IsBatchNormFolded = true;
    }

    /// <inheritdoc/>
    public override void train(bool train = true)
    {
        if (train && IsBatchNormFolded)
            throw new InvalidOperationException("a network with folded BatchNorm is for inference only");
        base.train(train);
    }

    static Tensor HeadForward(Sequential head, Tensor x)
    {
        using var hidden = ((ConvolutionModule)head[0]).forward(x);
        return GuardedConvolution.Forward((Conv2d)head[1], hidden);
    }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
