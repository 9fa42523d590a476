using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// Reads feature vectors of a map at flat positions: the official <c>_tranpose_and_gather_feat</c>, used to pick each
/// object's embedding and offset at its ground-truth corner.
/// </summary>
internal static class FeatureGather
{
    /// <summary>
    /// For features N × C × H × W and indices N × K (int64, y·W + x), returns N × K × C with
    /// <c>result[n, k, c] = features[n, c, index / W, index % W]</c>. Differentiable with respect to the features.
    /// </summary>
    public static Tensor At(Tensor features, Tensor indices)
    {
        if (features.dim() != 4) throw new ArgumentException($"features must be N×C×H×W, got [{string.Join(", ", features.shape)}]", nameof(features));
        if (indices.dim() != 2 || indices.shape[0] != features.shape[0])
            throw new ArgumentException($"indices must be N×K with N = {features.shape[0]}, got [{string.Join(", ", indices.shape)}]", nameof(indices));
        using var scope = NewDisposeScope();
        long n = features.shape[0], c = features.shape[1], k = indices.shape[1];
        // Gathering along the flattened spatial axis avoids the official permute + contiguous copy of the whole map.
        var flat = features.flatten(2);
        var index = indices.to_type(ScalarType.Int64).unsqueeze(1).expand(n, c, k);
        return flat.gather(2, index).transpose(1, 2).MoveToOuterDisposeScope();
    }
}
