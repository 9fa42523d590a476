using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// The six raw head outputs of CornerNet's last stack for a batch, as the official <c>kp._test</c> hands them to
/// <c>_decode</c>. The record does not own the tensors: whoever created them disposes them.
/// </summary>
/// <param name="TlHeats">Top-left heat logits (before sigmoid), N×C×H×W.</param>
/// <param name="BrHeats">Bottom-right heat logits, N×C×H×W.</param>
/// <param name="TlTags">Top-left embeddings, N×1×H×W.</param>
/// <param name="BrTags">Bottom-right embeddings, N×1×H×W.</param>
/// <param name="TlRegrs">Top-left offsets, N×2×H×W (channel 0 = x, 1 = y).</param>
/// <param name="BrRegrs">Bottom-right offsets, N×2×H×W.</param>
public sealed record CornerHeads(Tensor TlHeats, Tensor BrHeats, Tensor TlTags, Tensor BrTags, Tensor TlRegrs, Tensor BrRegrs);
