using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// What the loss needs from one stack of the network in training: heat logits N × C × H × W (before the sigmoid),
/// embeddings N × K × 1 and offsets N × K × 2 already gathered at the ground-truth corners (the official
/// <c>kp._train</c> outputs). <see cref="FromMaps"/> gathers them from the full maps.
/// </summary>
/// <param name="TopLeftHeats">Top-left heat logits, N × C × H × W.</param>
/// <param name="BottomRightHeats">Bottom-right heat logits, N × C × H × W.</param>
/// <param name="TopLeftTags">Top-left embeddings at the top-left corners, N × K × 1.</param>
/// <param name="BottomRightTags">Bottom-right embeddings at the bottom-right corners, N × K × 1.</param>
/// <param name="TopLeftOffsets">Top-left offsets (x, y) at the top-left corners, N × K × 2.</param>
/// <param name="BottomRightOffsets">Bottom-right offsets (x, y) at the bottom-right corners, N × K × 2.</param>
public sealed record StackOutputs(Tensor TopLeftHeats, Tensor BottomRightHeats, Tensor TopLeftTags, Tensor BottomRightTags,
    Tensor TopLeftOffsets, Tensor BottomRightOffsets)
{
    /// <summary>
    /// Gathers embeddings (N × 1 × H × W) and offsets (N × 2 × H × W) at the targets' corner indices with
    /// <see cref="FeatureGather.At"/>; the heat logits are passed through.
    /// </summary>
    public static StackOutputs FromMaps(Tensor topLeftHeats, Tensor bottomRightHeats, Tensor topLeftTagMap, Tensor bottomRightTagMap,
        Tensor topLeftOffsetMap, Tensor bottomRightOffsetMap, CornerTargetBatch targets) =>
        new(topLeftHeats, bottomRightHeats,
            FeatureGather.At(topLeftTagMap, targets.TopLeftIndices),
            FeatureGather.At(bottomRightTagMap, targets.BottomRightIndices),
            FeatureGather.At(topLeftOffsetMap, targets.TopLeftIndices),
            FeatureGather.At(bottomRightOffsetMap, targets.BottomRightIndices));
}
