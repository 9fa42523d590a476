using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The architecture of a CornerNet-Saccade network (CornerNet-Lite <c>core/models/CornerNet_Saccade.py</c>), with the
/// official constructor's numbers as parameters. The official model: stem [128, 256], 3 stacks of 3 levels, dims
/// [256, 384, 384, 512], modules [1, 1, 1, 1], cnv_dim, head_dim and att_dim 256, pool width 128, 80 classes.
/// </summary>
internal sealed record SaccadeConfig
{
    /// <summary>Stem widths: the 7×7 stride-2 convolution and the stride-2 residual (the hourglass width).</summary>
    public int[] Stem { get; init; } = [128, 256];

    /// <summary>Number of stacked hourglasses.</summary>
    public int Stacks { get; init; } = 3;

    /// <summary>Downsamplings per hourglass (official <c>n</c>); also the number of attention maps.</summary>
    public int Levels { get; init; } = 3;

    /// <summary>Hourglass widths per level, <see cref="Levels"/> + 1 entries; <c>dims[0]</c> =
    /// <c>stem[1]</c>.</summary>
    public int[] Dims { get; init; } = [256, 384, 384, 512];

    /// <summary>Residuals per level, <see cref="Levels"/> + 1 entries (the last: the innermost level).</summary>
    public int[] Modules { get; init; } = [1, 1, 1, 1];

    /// <summary>Output width of <c>hg.cnvs</c>: the corner pools' and heads' input.</summary>
    public int CnvDim { get; init; } = 256;

    /// <summary>Hidden width of the six heads (their 3×3 convolution).</summary>
    public int HeadDim { get; init; } = 256;

    /// <summary>Hidden width of the attention heads.</summary>
    public int AttDim { get; init; } = 256;

    /// <summary>Width of the corner pooling branches (128 in the official code).</summary>
    public int PoolDim { get; init; } = 128;

    /// <summary>Number of object classes.</summary>
    public int Classes { get; init; } = 80;

    /// <summary>The official CornerNet-Saccade (116,969,339 parameters).</summary>
    public static SaccadeConfig Official { get; } = new();

    /// <summary>Input width of attention head i: hourglass level n − 1 − i (maps come innermost
    /// first).</summary>
    public int AttentionInput(int i) => Dims[Levels - 1 - i];

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="source"/> when the numbers cannot build
    /// a network.</summary>
    public void Validate(string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"{source}: {what}");
        }
        Check(Stem.Length == 2 && Stem.All(d => d is >= 1 and <= 4096), "stem needs two widths in 1..4096");
        Check(Stacks is >= 1 and <= 16, "stacks must be in 1..16");
        Check(Levels is >= 1 and <= 16, "levels must be in 1..16");
        Check(Dims.Length == Levels + 1 && Dims.All(d => d is >= 1 and <= 4096), "dims needs levels + 1 widths");
        Check(Modules.Length == Levels + 1 && Modules.All(m => m is >= 1 and <= 64), "modules needs levels + 1 counts");
        Check(Dims[0] == Stem[1], "dims[0] must equal stem[1]");
        foreach (int d in new[] { CnvDim, HeadDim, AttDim, PoolDim, Classes })
            Check(d is >= 1 and <= 4096, "widths and classes must be in 1..4096");
    }

    /// <summary>
    /// Reads the architecture of a Saccade state dict (official keys, no <c>module.</c>) from its names and shapes;
    /// <paramref name="source"/> names the file in errors.
    /// </summary>
    public static SaccadeConfig Infer(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long Dim(string key, int axis) => tensors.TryGetValue(key, out var t)
            ? t.shape[axis]
            : throw new WeightFileException(source, $"tensor '{key}' is missing (not a CornerNet-Saccade checkpoint?)");
        int stacks = ArchitectureInference.CountIndices(tensors.Keys, "hg.hgs.");
        static string Level(int level) => "hg.hgs.0" + string.Concat(Enumerable.Repeat(".low2", level));
        int levels = 1;
        while (levels <= 16 && tensors.Keys.Any(k => k.StartsWith(Level(levels) + ".up1.", StringComparison.Ordinal)))
            levels++;
        if (levels > 16) throw new WeightFileException(source, "implausible hourglass depth");
        var dims = new int[levels + 1];
        var modules = new int[levels + 1];
        for (int i = 0; i < levels; i++)
        {
            dims[i] = (int)Dim(Level(i) + ".up1.0.conv1.weight", 0);
            modules[i] = ArchitectureInference.CountIndices(tensors.Keys, Level(i) + ".up1.");
        }
        string leaf = Level(levels - 1) + ".low2.";
        dims[levels] = (int)Dim(leaf + "0.conv1.weight", 0);
        modules[levels] = ArchitectureInference.CountIndices(tensors.Keys, leaf);
        int attentionHeads = ArchitectureInference.CountIndices(tensors.Keys, "att_modules.0.");
        if (attentionHeads != levels)
            throw new WeightFileException(source, $"{attentionHeads} attention heads for {levels} hourglass levels");
        var config = new SaccadeConfig
        {
            Stem = [(int)Dim("hg.pre.0.conv.weight", 0), (int)Dim("hg.pre.1.conv2.weight", 0)],
            Stacks = stacks,
            Levels = levels,
            Dims = dims,
            Modules = modules,
            CnvDim = (int)Dim("hg.cnvs.0.conv.weight", 0),
            HeadDim = (int)Dim("tl_heats.0.0.conv.weight", 0),
            AttDim = (int)Dim("att_modules.0.0.0.conv.weight", 0),
            PoolDim = (int)Dim("tl_modules.0.p1_conv1.conv.weight", 0),
            Classes = (int)Dim("tl_heats.0.1.weight", 0),
        };
        try
        {
            config.Validate(source);
        }
        catch (ArgumentException e)
        {
            throw new WeightFileException(source, e.Message);
        }
        return config;
    }

    /// <summary>Whether a state dict (official keys) is CornerNet-Saccade: attention heads over residual
    /// hourglasses.</summary>
    public static bool IsSaccadeLayout(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("att_modules.", StringComparison.Ordinal))
        && keys.Any(k => k.StartsWith("hg.hgs.0.up1.0.conv1.", StringComparison.Ordinal));

}
