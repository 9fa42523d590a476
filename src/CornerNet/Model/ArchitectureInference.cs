using System.Text.RegularExpressions;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Infers a <see cref="CornerNetConfig"/> from the names and shapes of an official state dict alone: the family whose
/// checkpoint it is (<see cref="NetworkFamily.OwnsCheckpoint"/>, asked in the order of
/// <see cref="CornerNetConfig.Families"/>), then stem widths, stacks, hourglass levels, widths and module counts per
/// level, <c>cnv_dim</c>, pooling width and classes. Input conventions (size, mean/std, BGR) are the official defaults;
/// corner pooling has no parameters and is assumed on.
/// </summary>
internal static class ArchitectureInference
{
    /// <summary>The family that owns an official state dict with <paramref name="keys"/>, or null.</summary>
    internal static NetworkFamily? FamilyOf(IReadOnlyCollection<string> keys) =>
        CornerNetConfig.Families.FirstOrDefault(family => family.OwnsCheckpoint(keys));

    /// <summary>The config that <paramref name="tensors"/> (keys without <c>module.</c>, under the family's own
    /// names: <see cref="NetworkFamily.ToOwnNames"/>) fit; <paramref name="source"/> names the file.</summary>
    public static CornerNetConfig Infer(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var family = FamilyOf(tensors.Keys.ToArray())
            ?? throw new WeightFileException(source, "not a CornerNet checkpoint: no "
                + string.Join(" or ", CornerNetConfig.Families.Select(f => f.CheckpointSignature))
                + $" tensors; found {Describe(tensors.Keys)}");
        return family.InferConfig(tensors, source);
    }

    /// <summary>Size of axis <paramref name="axis"/> of tensor <paramref name="key"/>; a missing tensor or axis is a
    /// <see cref="WeightFileException"/>.</summary>
    internal static long Dim(IReadOnlyDictionary<string, Tensor> tensors, string source, string key, int axis)
    {
        if (!tensors.TryGetValue(key, out var t)) throw new WeightFileException(source, $"not a CornerNet checkpoint: no tensor '{key}'");
        if (t.dim() <= axis) throw new WeightFileException(source, $"tensor '{key}' has {t.dim()} dimensions, expected more than {axis}");
        return t.shape[axis];
    }

    /// <summary>
    /// The stacked hourglasses under <paramref name="prefix"/> (<c>prefix.i</c> per stack, <c>.low2</c> per level):
    /// stacks, levels, widths (axis 0 of each level's first block's <paramref name="widthKey"/>) and blocks per level.
    /// </summary>
    internal static (int Stacks, int Levels, int[] Dims, int[] Modules) Hourglasses(IReadOnlyDictionary<string, Tensor> tensors,
        string source, string prefix, string widthKey)
    {
        var stackKey = new Regex("^" + Regex.Escape(prefix) + @"\.(\d+)\.");
        int stacks = tensors.Keys.Select(k => stackKey.Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(-1).Max() + 1;
        if (stacks < 1) throw new WeightFileException(source, $"not a CornerNet checkpoint: no '{prefix}.*' tensors; found {Describe(tensors.Keys)}");
        string Level(int level) => prefix + ".0" + string.Concat(Enumerable.Repeat(".low2", level));
        int levels = 0;
        while (tensors.Keys.Any(k => k.StartsWith(Level(levels + 1) + ".up1.", StringComparison.Ordinal))) levels++;
        levels++;
        if (levels > 16) throw new WeightFileException(source, "implausible hourglass depth");
        var dims = new int[levels + 1];
        var modules = new int[levels + 1];
        for (int i = 0; i < levels; i++)
        {
            dims[i] = (int)Dim(tensors, source, Level(i) + ".up1.0." + widthKey, 0);
            modules[i] = CountIndices(tensors.Keys, Level(i) + ".up1.");
        }
        string leaf = Level(levels - 1) + ".low2.";
        dims[levels] = (int)Dim(tensors, source, leaf + "0." + widthKey, 0);
        modules[levels] = CountIndices(tensors.Keys, leaf);
        return (stacks, levels, dims, modules);
    }

    /// <summary>A few of the keys found, for an error message.</summary>
    static string Describe(IEnumerable<string> keys)
    {
        var list = keys.Take(4).Select(k => $"'{k}'").ToList();
        return list.Count == 0 ? "no tensors" : string.Join(", ", list) + (keys.Skip(4).Any() ? ", …" : "");
    }

    /// <summary>How many distinct indices N appear in keys of the form <c>prefix + N + "."</c>.</summary>
    internal static int CountIndices(IEnumerable<string> keys, string prefix)
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
