using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The CornerNet loss and its parts, all scalar tensors in the caller's dispose scope. <see cref="Total"/> carries the
/// gradient; the parts are summed over stacks (focal and offsets over both corner types), pull and push unweighted.
/// </summary>
/// <param name="Total">(focal + w_pull·pull + w_push·push + w_off·offset) / number of stacks — what is
/// minimised.</param>
/// <param name="Focal">Focal loss summed over stacks and corner types.</param>
/// <param name="Pull">Pull loss summed over stacks, unweighted.</param>
/// <param name="Push">Push loss summed over stacks, unweighted.</param>
/// <param name="Offset">Offset loss summed over stacks and corner types, unweighted.</param>
/// <param name="PerStack">The same four parts per stack.</param>
internal sealed record CornerNetLossParts(Tensor Total, Tensor Focal, Tensor Pull, Tensor Push, Tensor Offset, IReadOnlyList<StackLossParts> PerStack);

/// <summary>The loss parts of one stack (focal and offset summed over both corner types; pull and push
/// unweighted).</summary>
/// <param name="Focal">Top-left plus bottom-right focal loss.</param>
/// <param name="Pull">Pull loss.</param>
/// <param name="Push">Push loss.</param>
/// <param name="Offset">Top-left plus bottom-right offset loss.</param>
internal sealed record StackLossParts(Tensor Focal, Tensor Pull, Tensor Push, Tensor Offset);
