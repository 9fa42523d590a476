using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The training targets of a CornerNet-Saccade batch (official sampler layout): the corner targets, the valid masks
/// (N×C×H×W, 0 inside the Gaussians of objects ignored because the crop cut them or they are too small, 1 elsewhere)
/// and one attention target per hourglass level (N×1×h×w, coarsest first).
/// </summary>
internal sealed record SaccadeTargetBatch(CornerTargetBatch Corners, Tensor TopLeftValid, Tensor BottomRightValid,
    IReadOnlyList<Tensor> Attention);
