using System.Text.RegularExpressions;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Infers a <see cref="CornerNetConfig"/> from the names and shapes of an official state dict alone: stem widths,
/// stacks, hourglass levels, widths and module counts per level, <c>cnv_dim</c>, pooling width and classes. Input
/// conventions (size, mean/std, BGR) are the official defaults; corner pooling has no parameters and is assumed on.
/// Three layouts are recognised: the original CornerNet (<c>kps.*</c>), CornerNet-Squeeze of CornerNet-Lite
/// (<c>hg.hgs.*</c> with fire modules), and the Lite repository's own CornerNet (<c>hg.hgs.*</c> with residuals: the
/// original network under Lite names, which <see cref="LiteHourglassToOriginalNames"/> renames).
/// </summary>
internal static class ArchitectureInference
{
    static readonly Regex StackKey = new(@"^kps\.(\d+)\.", RegexOptions.Compiled);
    static readonly Regex SqueezeStackKey = new(@"^hg\.hgs\.(\d+)\.", RegexOptions.Compiled);

    /// <summary>Whether <paramref name="keys"/> are a CornerNet-Lite state dict (<c>hg.hgs.*</c>).</summary>
    internal static bool IsLiteLayout(IEnumerable<string> keys) => keys.Any(k => k.StartsWith("hg.hgs.", StringComparison.Ordinal));

    /// <summary>Whether a Lite state dict holds fire modules (CornerNet-Squeeze) rather than residuals (Lite's
    /// CornerNet).</summary>
    internal static bool IsSqueezeLayout(IEnumerable<string> keys) => keys.Any(k => k.StartsWith("hg.hgs.0.up1.0.conv_1x1.", StringComparison.Ordinal));

    /// <summary>
    /// The Lite repository's CornerNet (<c>core/models/CornerNet.py</c>) under the original names: <c>hg.pre</c> →
    /// <c>pre</c>, <c>hg.hgs</c> → <c>kps</c>, <c>hg.cnvs</c>/<c>inters</c>/<c>inters_</c>/<c>cnvs_</c> without
    /// <c>hg.</c>, <c>tl_modules</c> → <c>tl_cnvs</c>, <c>tl_offs</c> → <c>tl_regrs</c> (and br_).
    /// </summary>
    internal static Dictionary<string, Tensor> LiteHourglassToOriginalNames(IReadOnlyDictionary<string, Tensor> tensors)
    {
        static string Rename(string key)
        {
            if (key.StartsWith("hg.hgs.", StringComparison.Ordinal)) return "kps." + key["hg.hgs.".Length..];
            if (key.StartsWith("hg.", StringComparison.Ordinal)) return key["hg.".Length..];
            foreach (var (lite, original) in new[] { ("tl_modules.", "tl_cnvs."), ("br_modules.", "br_cnvs."), ("tl_offs.", "tl_regrs."), ("br_offs.", "br_regrs.") })
                if (key.StartsWith(lite, StringComparison.Ordinal)) return original + key[lite.Length..];
            return key;
        }
        return tensors.ToDictionary(pair => Rename(pair.Key), pair => pair.Value);
    }

    /// <summary>The config that <paramref name="tensors"/> (keys without <c>module.</c>) fit; <paramref name="source"/>
    /// names the file.</summary>
    public static CornerNetConfig Infer(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long Dim(string key, int axis)
        {
            if (!tensors.TryGetValue(key, out var t)) throw new WeightFileException(source, $"not a CornerNet checkpoint: no tensor '{key}'");
            if (t.dim() <= axis) throw new WeightFileException(source, $"tensor '{key}' has {t.dim()} dimensions, expected more than {axis}");
            return t.shape[axis];
        }

        if (IsLiteLayout(tensors.Keys))
        {
            if (!IsSqueezeLayout(tensors.Keys))
                throw new WeightFileException(source, "a CornerNet-Lite checkpoint whose hourglass is neither fire modules (CornerNet-Squeeze: 'hg.hgs.0.up1.0.conv_1x1') nor residuals under original names (rename with LiteHourglassToOriginalNames first)");
            return InferSqueeze(tensors, source, Dim);
        }
        int stacks = tensors.Keys.Select(k => StackKey.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(-1).Max() + 1;
        if (stacks < 1)
            throw new WeightFileException(source, $"not a CornerNet checkpoint: no 'kps.*' (original CornerNet) or 'hg.hgs.*' (CornerNet-Lite) tensors; found {Describe(tensors.Keys)}");

        int levels = 0;
        while (tensors.Keys.Any(k => k.StartsWith(LevelPrefix(levels + 1) + ".up1.", StringComparison.Ordinal))) levels++;
        levels++;
        if (levels > 16) throw new WeightFileException(source, "implausible hourglass depth");

        var dims = new int[levels + 1];
        var modules = new int[levels + 1];
        for (int i = 0; i < levels; i++)
        {
            string prefix = LevelPrefix(i) + ".up1.";
            dims[i] = (int)Dim(prefix + "0.conv1.weight", 0);
            modules[i] = CountIndices(tensors.Keys, prefix);
        }
        string leaf = LevelPrefix(levels - 1) + ".low2.";
        dims[levels] = (int)Dim(leaf + "0.conv1.weight", 0);
        modules[levels] = CountIndices(tensors.Keys, leaf);

        var config = new CornerNetConfig
        {
            Stem = new[] { (int)Dim("pre.0.conv.weight", 0), (int)Dim("pre.1.conv2.weight", 0) },
            Stacks = stacks,
            Levels = levels,
            Dims = dims,
            Modules = modules,
            CnvDim = (int)Dim("cnvs.0.conv.weight", 0),
            PoolDim = (int)Dim("tl_cnvs.0.p1_conv1.conv.weight", 0),
            Classes = (int)Dim("tl_heats.0.1.weight", 0),
        };
        config.Validate(source);
        return config;
    }

    /// <summary>The squeeze family: widths from the fire modules' BatchNorms (<c>bn2</c> is as wide as the module's
    /// output).</summary>
    static CornerNetConfig InferSqueeze(IReadOnlyDictionary<string, Tensor> tensors, string source, Func<string, int, long> dim)
    {
        int stacks = tensors.Keys.Select(k => SqueezeStackKey.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).Max() + 1;
        static string Level(int level) => "hg.hgs.0" + string.Concat(Enumerable.Repeat(".low2", level));
        int levels = 0;
        while (tensors.Keys.Any(k => k.StartsWith(Level(levels + 1) + ".up1.", StringComparison.Ordinal))) levels++;
        levels++;
        if (levels > 16) throw new WeightFileException(source, "implausible hourglass depth");
        var dims = new int[levels + 1];
        var modules = new int[levels + 1];
        for (int i = 0; i < levels; i++)
        {
            dims[i] = (int)dim(Level(i) + ".up1.0.bn2.weight", 0);
            modules[i] = CountIndices(tensors.Keys, Level(i) + ".up1.");
        }
        string leaf = Level(levels - 1) + ".low2.";
        dims[levels] = (int)dim(leaf + "0.bn2.weight", 0);
        modules[levels] = CountIndices(tensors.Keys, leaf);
        long headDim = dim("tl_heats.0.0.conv.weight", 0);
        if (headDim != dims[0])
            throw new WeightFileException(source, $"head width {headDim} differs from the hourglass width {dims[0]}; only heads as wide as the hourglass are supported");
        var config = ModelPresets.Squeeze with
        {
            Stem = [(int)dim("hg.pre.0.conv.weight", 0), (int)dim("hg.pre.1.conv2.weight", 0)],
            Stacks = stacks,
            Levels = levels,
            Dims = dims,
            Modules = modules,
            CnvDim = (int)dim("hg.cnvs.0.conv.weight", 0),
            PoolDim = (int)dim("tl_modules.0.p1_conv1.conv.weight", 0),
            Classes = (int)dim("tl_heats.0.1.weight", 0),
        };
        config.Validate(source);
        return config;
    }

    /// <summary>A few of the keys found, for an error message.</summary>
    static string Describe(IEnumerable<string> keys)
    {
        var list = keys.Take(4).Select(k => $"'{k}'").ToList();
        return list.Count == 0 ? "no tensors" : string.Join(", ", list) + (keys.Skip(4).Any() ? ", …" : "");
    }

    /// <summary>Key prefix of hourglass level <paramref name="level"/> of the first stack:
    /// kps.0(.low2)×level.</summary>
    static string LevelPrefix(int level) => "kps.0" + string.Concat(Enumerable.Repeat(".low2", level));

    static int CountIndices(IEnumerable<string> keys, string prefix)
    {
        var indices = new HashSet<int>();
        foreach (var key in keys)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = key[prefix.Length..];
            int dot = rest.IndexOf('.');
            if (dot > 0 && int.TryParse(rest[..dot], out int index)) indices.Add(index);
        }
        return indices.Count;
    }
}
