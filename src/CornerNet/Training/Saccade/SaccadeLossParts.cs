using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The CornerNet-Saccade loss and its parts (scalar tensors in the caller's dispose scope); <see cref="Total"/> carries
/// the gradient.
/// </summary>
/// <param name="Total">(focal + attention + w_pull·pull + w_push·push + w_off·offset) / number of stacks.</param>
/// <param name="Focal">Masked focal loss summed over stacks and corner types.</param>
/// <param name="Attention">Attention focal loss: per level over every stack's map, divided by the stacks, summed over
/// levels.</param>
/// <param name="Pull">Pull loss summed over stacks, unweighted.</param>
/// <param name="Push">Push loss summed over stacks, unweighted.</param>
/// <param name="Offset">Offset loss summed over stacks and corner types, unweighted.</param>
internal sealed record SaccadeLossParts(Tensor Total, Tensor Focal, Tensor Attention, Tensor Pull, Tensor Push,
    Tensor Offset);
