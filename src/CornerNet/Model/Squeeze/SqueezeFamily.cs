using CornerNet.Runtime;
using CornerNet.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// CornerNet-Squeeze of CornerNet-Lite (<c>core/models/CornerNet_Squeeze.py</c>, <c>core/models/py_utils/modules.py</c>):
/// fire modules, stride-2 fire modules for down-sampling and a 4×4 stride-2 transposed convolution for up-sampling, a
/// stride-8 stem (a third stride-2 residual), 1×1 heads, the Lite state-dict names (the backbone under <c>hg</c>); tested
/// with K 20 and 100 detections (<c>configs/CornerNet_Squeeze.json</c>); trained with the Lite sampler, which has no
/// full-image crop.
/// </summary>
internal sealed class SqueezeFamily()
    : NetworkFamily("squeeze", stride: 8, headKernel: 1, decodeK: 20, decodedDetections: 100, fullImageCrop: false)
{
    internal override NetworkBlock Block(long inDim, long outDim, int stride = 1) => new FireModule(inDim, outDim, stride);

    /// <summary>The Lite <c>up2</c>: a 4×4 stride-2 transposed convolution with bias.</summary>
    internal override nn.Module<Tensor, Tensor> Upsample(long dim) => nn.ConvTranspose2d(dim, dim, 4, stride: 2, padding: 1);

    internal override string WriteUpsample(IOperatorGraph graph, nn.Module<Tensor, Tensor> upsample, string x) =>
        graph.ConvTranspose((ConvTranspose2d)upsample, x);

    internal override IReadOnlyList<(string Name, nn.Module Module)> OfficialNames(NetworkParts p) =>
    [
        ("hg", new ModuleGroup("hg",
        [
            ("pre", p.Stem), ("hgs", p.Hourglasses), ("cnvs", p.StackOutputs),
            ("inters", p.JoinResiduals), ("inters_", p.JoinInters), ("cnvs_", p.JoinCnvs),
        ])),
        ("tl_modules", p.TlPools), ("br_modules", p.BrPools),
        ("tl_heats", p.TlHeats), ("br_heats", p.BrHeats), ("tl_tags", p.TlTags), ("br_tags", p.BrTags),
        ("tl_offs", p.TlOffsets), ("br_offs", p.BrOffsets),
    ];

    /// <summary>The hourglass's only k×k convolutions are depthwise (not the faulty oneDNN kernels), so of its widths
    /// only dims[0] counts.</summary>
    internal override IEnumerable<int> DenseWidths(CornerNetConfig config) =>
        [.. config.Stem, config.Dims[0], config.CnvDim, config.PoolDim];

    internal override string? Problem(CornerNetConfig config) => config.Dims.Any(d => d % 2 != 0)
        ? "squeeze dims must be even (a fire module squeezes to half its width)"
        : null;

    /// <summary>A fire module: the squeeze at the input resolution, the 1×1 and depthwise 3×3 expands at the
    /// output resolution.</summary>
    internal override void CountBlock(ConvolutionCount count, long inDim, long outDim, int stride, int inH, int inW,
        int h, int w)
    {
        count.Conv(inDim, outDim / 2, 1, inH, inW);
        count.Conv(outDim / 2, outDim / 2, 1, h, w);
        count.Conv(outDim / 2, outDim / 2, 3, h, w, groups: outDim / 2);
    }

    /// <summary>The 4×4 stride-2 transposed convolution: every input position meets all 16 taps.</summary>
    internal override void CountUpsample(ConvolutionCount count, long dim, int h, int w) => count.Conv(dim, dim, 4, h, w);

    internal override LayoutBlock LayoutBlock => LayoutBlock.Fire;

    internal override string CheckpointSignature => "'hg.hgs.*' fire modules (CornerNet-Squeeze)";

    internal override bool OwnsCheckpoint(IReadOnlyCollection<string> keys) =>
        keys.Any(k => k.StartsWith("hg.hgs.0.up1.0.conv_1x1.", StringComparison.Ordinal));

    /// <summary>Widths from the fire modules' BatchNorms (<c>bn2</c> is as wide as the module's output).</summary>
    internal override CornerNetConfig InferConfig(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long Dim(string key) => ArchitectureInference.Dim(tensors, source, key, 0);
        var (stacks, levels, dims, modules) = ArchitectureInference.Hourglasses(tensors, source, "hg.hgs", "bn2.weight");
        long headDim = Dim("tl_heats.0.0.conv.weight");
        if (headDim != dims[0])
            throw new WeightFileException(source, $"head width {headDim} differs from the hourglass width {dims[0]}; only heads as wide as the hourglass are supported");
        var config = ModelPresets.Squeeze with
        {
            Stem = [(int)Dim("hg.pre.0.conv.weight"), (int)Dim("hg.pre.1.conv2.weight")],
            Stacks = stacks,
            Levels = levels,
            Dims = dims,
            Modules = modules,
            CnvDim = (int)Dim("hg.cnvs.0.conv.weight"),
            PoolDim = (int)Dim("tl_modules.0.p1_conv1.conv.weight"),
            Classes = (int)Dim("tl_heats.0.1.weight"),
        };
        config.Validate(source);
        return config;
    }
}
