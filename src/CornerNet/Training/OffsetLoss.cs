using CornerNet.Layers;
using TorchSharp;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The offset loss (paper Eq. 3) as the official <c>_regr_loss</c>: smooth-L1 (β = 1) summed over x and y of every
/// object of the batch, divided by (number of objects in the batch + 1e-4).
/// </summary>
internal static class OffsetLoss
{
    /// <summary>
    /// <paramref name="predicted"/> and <paramref name="target"/> N × K × 2 (offsets gathered at the corners),
    /// <paramref name="mask"/> N × K (bool or uint8). Returns a scalar.
    /// </summary>
    public static Tensor Compute(Tensor predicted, Tensor target, Tensor mask)
    {
        if (!predicted.shape.SequenceEqual(target.shape) || predicted.dim() != 3 || mask.dim() != 2
            || mask.shape[0] != target.shape[0] || mask.shape[1] != target.shape[1])
            throw new ArgumentException($"offsets must be N×K×2 and the mask N×K, got [{string.Join(", ", predicted.shape)}], [{string.Join(", ", target.shape)}], [{string.Join(", ", mask.shape)}]");
        using var scope = NewDisposeScope();
        var valid = mask.to_type(ScalarType.Bool);
        var num = valid.to_type(ScalarType.Float32).sum();
        var selected = valid.unsqueeze(2).expand_as(target);
        var loss = nn.functional.smooth_l1_loss(predicted.masked_select(selected), target.masked_select(selected), nn.Reduction.Sum);
        using var epsilon = 1e-4.ToScalar();
        return (loss / num.add(epsilon, KeptScalars.One)).MoveToOuterDisposeScope();
    }
}
