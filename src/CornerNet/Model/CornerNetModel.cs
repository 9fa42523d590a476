using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet network (the official <c>kp</c> class, or CornerNet-Lite's <c>hg_net</c> for the squeeze family of
/// <see cref="CornerNetConfig.Family"/>): a stem, stacked hourglasses joined as in §3.5, and per stack a top-left and a
/// bottom-right prediction module with heatmap, embedding and offset heads. Module and parameter names are the
/// official state-dict keys of the family (see Model/README.md), so official checkpoints load by name.
/// In training mode <see cref="forward"/> returns the heads of every stack (intermediate supervision); in eval mode
/// only the last stack's heads are computed, as in the official test path.
/// </summary>
public sealed class CornerNetModel : nn.Module<Tensor, IReadOnlyList<HeadOutputs>>
{
    /// <summary>Initial bias of the heatmap heads' last layer (focal-loss prior, as the official code).</summary>
    public const double HeatBiasInit = -2.19;

    // Field names are state-dict keys. The hourglass family uses the original names; the squeeze family keeps its
    // backbone under `hg` and renames the pooling modules and offset heads (Lite names). Null fields are not
    // registered.
    readonly Sequential? pre;
    readonly ModuleList<HourglassModule>? kps;
    readonly ModuleList<ConvolutionModule>? cnvs;
    readonly SqueezeBackbone? hg;
    readonly ModuleList<CornerPoolModule>? tl_cnvs;
    readonly ModuleList<CornerPoolModule>? br_cnvs;
    readonly ModuleList<CornerPoolModule>? tl_modules;
    readonly ModuleList<CornerPoolModule>? br_modules;
    readonly ModuleList<Sequential> tl_heats;
    readonly ModuleList<Sequential> br_heats;
    readonly ModuleList<Sequential> tl_tags;
    readonly ModuleList<Sequential> br_tags;
    readonly ModuleList<ResidualModule>? inters;
    readonly ModuleList<Sequential>? inters_;
    readonly ModuleList<Sequential>? cnvs_;
    readonly ModuleList<Sequential>? tl_regrs;
    readonly ModuleList<Sequential>? br_regrs;
    readonly ModuleList<Sequential>? tl_offs;
    readonly ModuleList<Sequential>? br_offs;

    // The same parts whatever their names, in a plain record: module-typed fields would be registered a second time.
    sealed record Parts(Sequential Stem, IReadOnlyList<nn.Module<Tensor, Tensor>> Hourglasses, ModuleList<ConvolutionModule> StackOutputs,
        ModuleList<CornerPoolModule> TlPools, ModuleList<CornerPoolModule> BrPools, ModuleList<Sequential> TlOffsets, ModuleList<Sequential> BrOffsets,
        ModuleList<ResidualModule> JoinResiduals, ModuleList<Sequential> JoinInters, ModuleList<Sequential> JoinCnvs);
    readonly Parts parts;

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
        int currDim = config.Dims[0], cnvDim = config.CnvDim, stacks = config.Stacks;

        int headKernel = config.IsSqueeze ? 1 : 3;
        var stem = config.IsSqueeze
            ? nn.Sequential(
                new ConvolutionModule(7, 3, config.Stem[0], stride: 2),
                new ResidualModule(config.Stem[0], config.Stem[1], stride: 2),
                new ResidualModule(config.Stem[1], config.Stem[1], stride: 2))
            : nn.Sequential(
                new ConvolutionModule(7, 3, config.Stem[0], stride: 2),
                new ResidualModule(config.Stem[0], config.Stem[1], stride: 2));
        // Construction order = the official one, so that a seed gives the same initial weights as before.
        ModuleList<SqueezeHourglassModule>? squeezeHourglasses = null;
        if (config.IsSqueeze) squeezeHourglasses = Repeat(stacks, () => new SqueezeHourglassModule(config.Levels, config.Dims, config.Modules));
        else kps = Repeat(stacks, () => new HourglassModule(config.Levels, config.Dims, config.Modules));
        var stackOutputs = Repeat(stacks, () => new ConvolutionModule(3, currDim, cnvDim));
        var tlPools = Repeat(stacks, () => new CornerPoolModule(CornerKind.TopLeft, cnvDim, config.PoolDim, config.CornerPooling));
        var brPools = Repeat(stacks, () => new CornerPoolModule(CornerKind.BottomRight, cnvDim, config.PoolDim, config.CornerPooling));
        tl_heats = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, config.Classes));
        br_heats = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, config.Classes));
        tl_tags = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 1));
        br_tags = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 1));
        var joinResiduals = Repeat(stacks - 1, () => new ResidualModule(currDim, currDim));
        var joinInters = Repeat(stacks - 1, () => ConvBn1x1(currDim, currDim));
        var joinCnvs = Repeat(stacks - 1, () => ConvBn1x1(cnvDim, currDim));
        var tlOffsets = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 2));
        var brOffsets = Repeat(stacks, () => Head(headKernel, cnvDim, currDim, 2));
        if (squeezeHourglasses is not null)
        {
            parts = new Parts(stem, squeezeHourglasses.ToArray(), stackOutputs, tlPools, brPools, tlOffsets, brOffsets, joinResiduals, joinInters, joinCnvs);
            hg = new SqueezeBackbone(stem, squeezeHourglasses, stackOutputs, joinResiduals, joinInters, joinCnvs);
            (tl_modules, br_modules, tl_offs, br_offs) = (tlPools, brPools, tlOffsets, brOffsets);
        }
        else
        {
            parts = new Parts(stem, kps!.ToArray(), stackOutputs, tlPools, brPools, tlOffsets, brOffsets, joinResiduals, joinInters, joinCnvs);
            (pre, cnvs, inters, inters_, cnvs_) = (stem, stackOutputs, joinResiduals, joinInters, joinCnvs);
            (tl_cnvs, br_cnvs, tl_regrs, br_regrs) = (tlPools, brPools, tlOffsets, brOffsets);
        }
        RegisterComponents();

        // An explicit, held Scalar: an implicitly converted one can be freed by the GC during the call (see
        // KeptScalars).
        using (no_grad())
        using (var heatBias = HeatBiasInit.ToScalar())
        {
            foreach (var heads in new[] { tl_heats, br_heats })
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
        {
            switch (module)
            {
                case ConvolutionModule convolution: convolution.FoldBatchNorm(); break;
                case ResidualModule residual: residual.FoldBatchNorm(); break;
                case FireModule fire: fire.FoldBatchNorm(); break;
                case CornerPoolModule pool: pool.FoldBatchNorm(); break;
            }
        }
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
                        HeadForward(tl_heats[s], tl), HeadForward(br_heats[s], br),
                        HeadForward(tl_tags[s], tl), HeadForward(br_tags[s], br),
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
