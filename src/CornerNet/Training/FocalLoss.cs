using CornerNet.Layers;
using TorchSharp;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The paper's variant of focal loss (Eq. 1) as the official <c>_neg_loss</c>: predictions
/// p = clamp(sigmoid(logits), 1e-4, 1 − 1e-4); positives are the locations where the target equals exactly 1 and add
/// log(p)·(1 − p)^α; every other location adds log(1 − p)·p^α·(1 − y)^β; the sum is negated and divided by the number
/// of positives in the whole batch (all images and classes), or not divided when there is none. α = 2, β = 4.
/// </summary>
internal static class FocalLoss
{
    /// <summary>α: the focusing exponent.</summary>
    public const int Alpha = 2;

    /// <summary>β: the exponent of the penalty reduction (1 − y)^β around positives.</summary>
    public const int Beta = 4;

    /// <summary>
    /// The loss of one stack and corner type: <paramref name="logits"/> (heat head output before the sigmoid) and
    /// <paramref name="target"/> heatmaps of the same shape (N × C × H × W). With <paramref name="penaltyReduction"/>
    /// false the factor (1 − y)^β is dropped — every negative gets the full penalty, the paper's ablation; this is the
    /// same loss as drawing only the peaks (<see cref="TargetOptions.PenaltyReduction"/> false). Returns a scalar.
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor target, bool penaltyReduction = true)
    {
        if (!logits.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        // Not in place (the official _sigmoid overwrites the network output): same values, autograd stays valid.
        // Explicit Scalars held for the call (TorchSharp's implicit ones can be freed mid-call; see KeptScalars).
        using var low = 1e-4.ToScalar();
        using var high = (1 - 1e-4).ToScalar();
        using var one = 1.0.ToScalar();
        using var alpha = ((double)Alpha).ToScalar();
        using var beta = ((double)Beta).ToScalar();
        var pred = logits.sigmoid().clamp(low, high);
        var positive = target.eq(one);
        var negative = target.lt(one);

        var positivePred = pred.masked_select(positive);
        var negativePred = pred.masked_select(negative);
        // 1 − x is computed as −x + 1: the same float result as the official rsub.
        var negativeLoss = negativePred.neg().add(one, KeptScalars.One).log() * negativePred.pow(alpha);
        if (penaltyReduction) negativeLoss = negativeLoss * target.masked_select(negative).neg().add(one, KeptScalars.One).pow(beta);
        var negativeSum = negativeLoss.sum();

        if (positivePred.numel() == 0) return negativeSum.neg().MoveToOuterDisposeScope();
        var positiveSum = (positivePred.log() * positivePred.neg().add(one, KeptScalars.One).pow(alpha)).sum();
        var count = positive.to_type(ScalarType.Float32).sum();
        return (positiveSum.add(negativeSum, KeptScalars.One) / count).neg().MoveToOuterDisposeScope();
    }
}
