using CornerNet.Runtime;
using CornerNet.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The original CornerNet (princeton-vl/CornerNet, <c>models/py_utils/kp.py</c>): residual blocks, stride-2 residuals
/// for down-sampling and nearest ×2 up-sampling, a stride-4 stem, 3×3 heads, the original state-dict names; tested with
/// K 100 and 1000 detections (<c>config/CornerNet.json</c>). Also reads the Lite repository's own CornerNet, the same
/// network under Lite names.
/// </summary>
internal sealed class HourglassFamily()
    : NetworkFamily("hourglass", stride: 4, headKernel: 3, decodeK: 100, decodedDetections: 1000, fullImageCrop: true)
{
    internal override NetworkBlock Block(long inDim, long outDim, int stride = 1) => new ResidualModule(inDim, outDim, stride);

    internal override nn.Module<Tensor, Tensor> Upsample(long dim) => new NearestUpsample();

    internal override string WriteUpsample(IOperatorGraph graph, nn.Module<Tensor, Tensor> upsample, string x) =>
        graph.NearestUpsample2x(x);

    internal override IReadOnlyList<(string Name, nn.Module Module)> OfficialNames(NetworkParts p) =>
    [
        ("pre", p.Stem), ("kps", p.Hourglasses), ("cnvs", p.StackOutputs), ("tl_cnvs", p.TlPools), ("br_cnvs", p.BrPools),
        ("tl_heats", p.TlHeats), ("br_heats", p.BrHeats), ("tl_tags", p.TlTags), ("br_tags", p.BrTags),
        ("inters", p.JoinResiduals), ("inters_", p.JoinInters), ("cnvs_", p.JoinCnvs),
        ("tl_regrs", p.TlOffsets), ("br_regrs", p.BrOffsets),
    ];

    internal override IEnumerable<int> DenseWidths(CornerNetConfig config) =>
        [.. config.Stem, .. config.Dims, config.CnvDim, config.PoolDim];

    internal override void CountBlock(ConvolutionCount count, long inDim, long outDim, int stride, int inH, int inW,
        int h, int w) =>
        count.Residual(inDim, outDim, h, w, stride2: stride == 2);

    internal override void CountUpsample(ConvolutionCount count, long dim, int h, int w) { }

    internal override LayoutBlock LayoutBlock => LayoutBlock.Residual;

    internal override string CheckpointSignature =>
        "'kps.*' (original CornerNet) or 'hg.hgs.*' residuals (the CornerNet-Lite repository's CornerNet)";

    internal override bool OwnsCheckpoint(IReadOnlyCollection<string> keys) =>
        keys.Any(k => k.StartsWith("kps.", StringComparison.Ordinal) || IsLiteName(k));

    static readonly (string Lite, string Original)[] LiteHeadNames =
        [("tl_modules.", "tl_cnvs."), ("br_modules.", "br_cnvs."), ("tl_offs.", "tl_regrs."), ("br_offs.", "br_regrs.")];

    static bool IsLiteName(string key) => key.StartsWith("hg.hgs.0.up1.0.conv2.", StringComparison.Ordinal);

    /// <summary>
    /// The Lite repository's CornerNet (<c>core/models/CornerNet.py</c>) under the original names: <c>hg.pre</c> →
    /// <c>pre</c>, <c>hg.hgs</c> → <c>kps</c>, <c>hg.cnvs</c>/<c>inters</c>/<c>inters_</c>/<c>cnvs_</c> without
    /// <c>hg.</c>, <c>tl_modules</c> → <c>tl_cnvs</c>, <c>tl_offs</c> → <c>tl_regrs</c> (and br_).
    /// </summary>
    internal override Dictionary<string, Tensor> ToOwnNames(Dictionary<string, Tensor> tensors)
    {
        if (!tensors.Keys.Any(IsLiteName)) return tensors;
        static string Rename(string key)
        {
            if (key.StartsWith("hg.hgs.", StringComparison.Ordinal)) return "kps." + key["hg.hgs.".Length..];
            if (key.StartsWith("hg.", StringComparison.Ordinal)) return key["hg.".Length..];
            foreach (var (lite, original) in LiteHeadNames)
                if (key.StartsWith(lite, StringComparison.Ordinal)) return original + key[lite.Length..];
            return key;
        }
        return tensors.ToDictionary(pair => Rename(pair.Key), pair => pair.Value);
    }

    /// <summary>Widths from the residuals' first convolutions.</summary>
    internal override CornerNetConfig InferConfig(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long Dim(string key) => ArchitectureInference.Dim(tensors, source, key, 0);
        var (stacks, levels, dims, modules) = ArchitectureInference.Hourglasses(tensors, source, "kps", "conv1.weight");
        var config = new CornerNetConfig
        {
            Stem = [(int)Dim("pre.0.conv.weight"), (int)Dim("pre.1.conv2.weight")],
            Stacks = stacks,
            Levels = levels,
            Dims = dims,
            Modules = modules,
            CnvDim = (int)Dim("cnvs.0.conv.weight"),
            PoolDim = (int)Dim("tl_cnvs.0.p1_conv1.conv.weight"),
            Classes = (int)Dim("tl_heats.0.1.weight"),
        };
        config.Validate(source);
        return config;
    }
}
