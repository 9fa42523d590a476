using System.Text.RegularExpressions;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Infers a <see cref="CornerNetConfig"/> from the names and shapes of an official state dict alone: stem widths,
/// stacks, hourglass levels, widths and module counts per level, <c>cnv_dim</c>, pooling width and classes. Input
/// conventions (size, mean/std, BGR) are the official defaults; corner pooling has no parameters and is assumed on.
/// </summary>
public static class ArchitectureInference
{
    static readonly Regex StackKey = new(@"^kps\.(\d+)\.", RegexOptions.Compiled);

    /// <summary>The config that <paramref name="tensors"/> (keys without <c>module.</c>) fit; <paramref name="source"/> names the file.</summary>
    public static CornerNetConfig Infer(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        long Dim(string key, int axis)
        {
            if (!tensors.TryGetValue(key, out var t)) throw new WeightFileException(source, $"not a CornerNet checkpoint: no tensor '{key}'");
            if (t.dim() <= axis) throw new WeightFileException(source, $"tensor '{key}' has {t.dim()} dimensions, expected more than {axis}");
            return t.shape[axis];
        }

        int stacks = tensors.Keys.Select(k => StackKey.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(-1).Max() + 1;
        if (stacks < 1) throw new WeightFileException(source, "not a CornerNet checkpoint: no 'kps.*' (hourglass) tensors");

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

    /// <summary>Key prefix of hourglass level <paramref name="level"/> of the first stack: kps.0(.low2)×level.</summary>
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
