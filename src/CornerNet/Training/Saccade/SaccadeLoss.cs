using CornerNet.Layers;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The official <c>CornerNet_Saccade_Loss</c> (CornerNet-Lite core/models/py_utils/losses.py): the corner focal loss
/// with every term weighted by the valid masks (<see cref="MaskedFocal"/>), the attention focal loss (unmasked,
/// <see cref="FocalLoss"/> per level over every stack's map, divided by the stacks), pull and push (weights 0.1) and
/// offsets as in CornerNet, all divided by the number of stacks. Works for a batch of one (the official loss fails).
/// </summary>
internal static class SaccadeLoss
{
    /// <summary>The loss of every stack's outputs (training mode) against <paramref name="targets"/>.</summary>
    public static SaccadeLossParts Compute(SaccadeOutputs outputs, SaccadeTargetBatch targets,
        double pullWeight = CornerNetLoss.DefaultPullWeight, double pushWeight = CornerNetLoss.DefaultPushWeight,
        double offsetWeight = CornerNetLoss.DefaultOffsetWeight)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        int stacks = outputs.Heads.Count;
        if (stacks == 0) throw new ArgumentException("the network has at least one stack", nameof(outputs));
        using var scope = NewDisposeScope();
        var one = KeptScalars.One;
        var corners = targets.Corners;
        var focal = new List<Tensor>();
        var pulls = new List<Tensor>();
        var pushes = new List<Tensor>();
        var offsets = new List<Tensor>();
        foreach (var s in outputs.Heads)
        {
            focal.Add(MaskedFocal(s.TlHeats, corners.TopLeftHeatmaps, targets.TopLeftValid)
                .add(MaskedFocal(s.BrHeats, corners.BottomRightHeatmaps, targets.BottomRightValid), one));
            var (pull, push) = PullPushLoss.Compute(FeatureGather.At(s.TlTags, corners.TopLeftIndices),
                FeatureGather.At(s.BrTags, corners.BottomRightIndices), corners.Mask);
            pulls.Add(pull);
            pushes.Add(push);
            offsets.Add(OffsetLoss.Compute(FeatureGather.At(s.TlRegrs, corners.TopLeftIndices),
                    corners.TopLeftOffsets, corners.Mask)
                .add(OffsetLoss.Compute(FeatureGather.At(s.BrRegrs, corners.BottomRightIndices),
                    corners.BottomRightOffsets, corners.Mask), one));
        }
        using var stackCount = ((double)stacks).ToScalar();
        var attention = new List<Tensor>();
        for (int level = 0; level < targets.Attention.Count; level++)
        {
            var perStack = outputs.AttentionLogits.Select(a => FocalLoss.Compute(a[level], targets.Attention[level]));
            attention.Add(stack(perStack.ToArray()).sum().div(stackCount));
        }
        var focalSum = stack(focal).sum();
        var attentionSum = stack(attention).sum();
        var pullSum = stack(pulls).sum();
        var pushSum = stack(pushes).sum();
        var offsetSum = stack(offsets).sum();
        using var pullScale = pullWeight.ToScalar();
        using var pushScale = pushWeight.ToScalar();
        using var offsetScale = offsetWeight.ToScalar();
        var total = focalSum.add(attentionSum, one).add(pullSum.mul(pullScale), one).add(pushSum.mul(pushScale), one)
            .add(offsetSum.mul(offsetScale), one).div(stackCount);
        return new SaccadeLossParts(total.MoveToOuterDisposeScope(), focalSum.MoveToOuterDisposeScope(),
            attentionSum.MoveToOuterDisposeScope(), pullSum.MoveToOuterDisposeScope(),
            pushSum.MoveToOuterDisposeScope(), offsetSum.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The official <c>_focal_loss_mask</c> for one stack: <see cref="FocalLoss"/> with each positive and negative
    /// term multiplied by <paramref name="valid"/>, still divided by the number of positives, masked or not.
    /// </summary>
    public static Tensor MaskedFocal(Tensor logits, Tensor target, Tensor valid)
    {
        using var scope = NewDisposeScope();
        using var low = 1e-4.ToScalar();
        using var high = (1 - 1e-4).ToScalar();
        using var one = 1.0.ToScalar();
        using var alpha = ((double)FocalLoss.Alpha).ToScalar();
        using var beta = ((double)FocalLoss.Beta).ToScalar();
        var pred = logits.sigmoid().clamp(low, high);
        var positive = target.eq(one);
        var negative = target.lt(one);
        var positivePred = pred.masked_select(positive);
        var negativePred = pred.masked_select(negative);
        // 1 − x as −x + 1: the same float result as the official rsub.
        var negativeSum = (negativePred.neg().add(one, KeptScalars.One).log() * negativePred.pow(alpha)
            * target.masked_select(negative).neg().add(one, KeptScalars.One).pow(beta)
            * valid.masked_select(negative)).sum();
        if (positivePred.numel() == 0) return negativeSum.neg().MoveToOuterDisposeScope();
        var positiveSum = (positivePred.log() * positivePred.neg().add(one, KeptScalars.One).pow(alpha)
            * valid.masked_select(positive)).sum();
        var count = positive.to_type(ScalarType.Float32).sum();
        return (positiveSum.add(negativeSum, KeptScalars.One) / count).neg().MoveToOuterDisposeScope();
    }
}
