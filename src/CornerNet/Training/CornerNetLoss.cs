using CornerNet.Layers;
using TorchSharp;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The full training loss (paper Eq. 8) with intermediate supervision, as the official <c>AELoss</c> and trainer:
/// total = (Σ focal + 0.1·Σ pull + 0.1·Σ push + 1·Σ offset) / number of stacks, each sum over stacks (focal and offset
/// also over both corner types). See <see cref="FocalLoss"/>, <see cref="PullPushLoss"/>, <see cref="OffsetLoss"/>.
/// </summary>
internal static class CornerNetLoss
{
    /// <summary>The paper's weight of the pull loss (α in Eq. 8).</summary>
    public const double DefaultPullWeight = 0.1;

    /// <summary>The paper's weight of the push loss (β in Eq. 8).</summary>
    public const double DefaultPushWeight = 0.1;

    /// <summary>The paper's weight of the offset loss (γ in Eq. 8).</summary>
    public const double DefaultOffsetWeight = 1.0;

    /// <summary>
    /// The loss of all stacks' outputs (full maps, as <see cref="CornerNetModel.forward"/> returns them) against the
    /// batch's targets: embeddings and offsets are gathered at the targets' corners (<see cref="FeatureGather.At"/>).
    /// Works for any batch size including 1.
    /// </summary>
    public static CornerNetLossParts Compute(IReadOnlyList<HeadOutputs> stacks, CornerTargetBatch targets,
        double pullWeight = DefaultPullWeight, double pushWeight = DefaultPushWeight, double offsetWeight = DefaultOffsetWeight) =>
        Combine(stacks, targets, gather: true, pullWeight, pushWeight, offsetWeight);

    /// <summary>The loss of outputs whose tags and offsets are already gathered at the corners (official
    /// <c>kp._train</c>).</summary>
    internal static CornerNetLossParts ComputeGathered(IReadOnlyList<HeadOutputs> stacks, CornerTargetBatch targets) =>
        Combine(stacks, targets, gather: false, DefaultPullWeight, DefaultPushWeight, DefaultOffsetWeight);

    static CornerNetLossParts Combine(IReadOnlyList<HeadOutputs> stacks, CornerTargetBatch targets, bool gather,
        double pullWeight, double pushWeight, double offsetWeight)
    {
        ArgumentNullException.ThrowIfNull(stacks);
        ArgumentNullException.ThrowIfNull(targets);
        if (stacks.Count == 0) throw new ArgumentException("the network has at least one stack", nameof(stacks));
        using var scope = NewDisposeScope();
        var perStack = new List<StackLossParts>(stacks.Count);
        foreach (var maps in stacks)
        {
            var s = gather ? AtCorners(maps, targets) : maps;
            var focal = FocalLoss.Compute(s.TlHeats, targets.TopLeftHeatmaps).add(FocalLoss.Compute(s.BrHeats, targets.BottomRightHeatmaps), KeptScalars.One);
            var (pull, push) = PullPushLoss.Compute(s.TlTags, s.BrTags, targets.Mask);
            var offset = OffsetLoss.Compute(s.TlRegrs, targets.TopLeftOffsets, targets.Mask)
                .add(OffsetLoss.Compute(s.BrRegrs, targets.BottomRightOffsets, targets.Mask), KeptScalars.One);
            perStack.Add(new StackLossParts(focal, pull, push, offset));
        }
        var focalSum = Sum(perStack, p => p.Focal);
        var pullSum = Sum(perStack, p => p.Pull);
        var pushSum = Sum(perStack, p => p.Push);
        var offsetSum = Sum(perStack, p => p.Offset);
        using var pullScale = pullWeight.ToScalar();
        using var pushScale = pushWeight.ToScalar();
        using var offsetScale = offsetWeight.ToScalar();
        using var stackCount = ((double)stacks.Count).ToScalar();
        var total = focalSum.add(pullSum.mul(pullScale), KeptScalars.One).add(pushSum.mul(pushScale), KeptScalars.One)
            .add(offsetSum.mul(offsetScale), KeptScalars.One).div(stackCount);

        foreach (var p in perStack)
        {
            p.Focal.MoveToOuterDisposeScope();
            p.Pull.MoveToOuterDisposeScope();
            p.Push.MoveToOuterDisposeScope();
            p.Offset.MoveToOuterDisposeScope();
        }
        return new CornerNetLossParts(total.MoveToOuterDisposeScope(), focalSum.MoveToOuterDisposeScope(), pullSum.MoveToOuterDisposeScope(),
            pushSum.MoveToOuterDisposeScope(), offsetSum.MoveToOuterDisposeScope(), perStack);
    }

    // The heat logits pass through; the gathered tensors belong to the caller's dispose scope.
    static HeadOutputs AtCorners(HeadOutputs maps, CornerTargetBatch targets) =>
        new(maps.TlHeats, maps.BrHeats,
            FeatureGather.At(maps.TlTags, targets.TopLeftIndices), FeatureGather.At(maps.BrTags, targets.BottomRightIndices),
            FeatureGather.At(maps.TlRegrs, targets.TopLeftIndices), FeatureGather.At(maps.BrRegrs, targets.BottomRightIndices));

    // A new tensor even for one stack, so that the sums and the per-stack parts are distinct tensors.
    static Tensor Sum(List<StackLossParts> parts, Func<StackLossParts, Tensor> select) => stack(parts.Select(select)).sum();
}
