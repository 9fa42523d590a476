using CornerNet.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Copies named tensors into a model, strictly: every parameter and buffer must be present with the same shape, and
/// nothing unknown may be left over. BatchNorm <c>num_batches_tracked</c> may be absent (PyTorch 0.4 checkpoints such
/// as the released CornerNet weights have none) and is then set to 0. TorchSharp's own <c>load_state_dict</c> copies
/// with broadcasting and would accept some wrong shapes silently, hence this loader.
/// </summary>
internal static class StateDictLoader
{
    /// <summary>
    /// Loads <paramref name="tensors"/> into <paramref name="model"/>; <paramref name="source"/> names the file for
    /// errors. Throws <see cref="WeightFileException"/> listing what is missing, unexpected or mis-shaped.
    /// </summary>
    public static void Load(nn.Module model, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var target = model.state_dict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (name, param) in target)
        {
            if (!tensors.TryGetValue(name, out var value))
            {
                if (!name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) missing.Add(name);
                continue;
            }
            if (!param.shape.SequenceEqual(value.shape))
                mismatched.Add($"{name} is [{string.Join(",", value.shape)}] in the file, the model needs [{string.Join(",", param.shape)}]");
            else if (param.is_floating_point()) CheckFloatingValues(name, value, source);
        }
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count + mismatched.Count + unexpected.Count > 0)
        {
            var parts = new List<string>();
            if (mismatched.Count > 0) parts.Add($"{mismatched.Count} shape mismatch(es), first: {mismatched[0]}");
            if (missing.Count > 0) parts.Add($"{missing.Count} missing tensor(s), first: {missing[0]}");
            if (unexpected.Count > 0) parts.Add($"{unexpected.Count} unexpected tensor(s), first: {unexpected[0]}");
            throw new WeightFileException(source, "weights do not fit the model: " + string.Join("; ", parts));
        }
        using (no_grad())
        {
            foreach (var (name, param) in target)
            {
                if (tensors.TryGetValue(name, out var value))
                {
                    using var converted = value.to(param.dtype, param.device);
                    param.copy_(converted);
                }
                else
                {
                    // zero_() returns a new wrapper of the same tensor; dispose it rather than leave it to the
                    // finalizer.
                    using var zeroed = param.zero_();
                }
            }
        }
    }

    /// <summary>
    /// A weight must be stored as floating point (an integer tensor would be converted without a word, e.g. quantized
    /// I8 values taken as weights) and hold only finite values (NaN or Inf would give NaN detections everywhere).
    /// </summary>
    static void CheckFloatingValues(string name, Tensor value, string source)
    {
        if (!value.is_floating_point())
            throw new WeightFileException(source, $"tensor '{name}' is stored as {value.dtype}; the model needs floating-point weights");
        using var finite = value.isfinite();
        using var all = finite.all();
        if (!all.item<bool>())
        {
            using var notFinite = finite.logical_not();
            using var count = notFinite.sum();
            throw new WeightFileException(source, $"tensor '{name}' holds {count.item<long>()} NaN or infinite value(s)");
        }
    }
}
