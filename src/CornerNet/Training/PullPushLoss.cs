using CornerNet.Layers;
using TorchSharp;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The embedding losses (paper Eq. 4–5, Δ = 1) as the official <c>_ae_loss</c>, with the official operation order in
/// float32. Per image with N objects and ē_k the mean of an object's two embeddings:
/// pull = Σ_k [(e_tk − ē_k)² + (e_bk − ē_k)²] / (N + 1e-4);
/// push = Σ over all N² ordered pairs including k = j of (relu(1 − |ē_k − ē_j|) − 1/(N + 1e-4)) / (N(N − 1) + 1e-4).
/// Both are summed (not averaged) over the images of the batch. The diagonal terms cancel the −1/N terms except
/// for an image with exactly one object, which adds a constant ≈ 1 (no gradient) to push — kept for parity with the
/// official loss values. Unlike the official code this works for a batch of one image.
/// </summary>
internal static class PullPushLoss
{
    /// <summary>
    /// Pull and push for embeddings gathered at the corners: <paramref name="topLeft"/> and
    /// <paramref name="bottomRight"/> N × K × 1 (or N × K), <paramref name="mask"/> N × K (bool or uint8) marking the
    /// objects. Returns two scalars.
    /// </summary>
    public static (Tensor Pull, Tensor Push) Compute(Tensor topLeft, Tensor bottomRight, Tensor mask)
    {
        if (mask.dim() != 2) throw new ArgumentException($"mask must be N×K, got [{string.Join(", ", mask.shape)}]", nameof(mask));
        long n = mask.shape[0], k = mask.shape[1];
        if (topLeft.numel() != n * k || bottomRight.numel() != n * k)
            throw new ArgumentException($"embeddings must have N×K = {n}×{k} values, got [{string.Join(", ", topLeft.shape)}] and [{string.Join(", ", bottomRight.shape)}]");
        using var scope = NewDisposeScope();
        // Keep the batch axis explicitly: the official squeeze() also drops it when N = 1 and then fails.
        var tag0 = topLeft.reshape(n, k);
        var tag1 = bottomRight.reshape(n, k);
        var valid = mask.to_type(ScalarType.Bool);
        var num = valid.sum(1, keepdim: true).to_type(ScalarType.Float32);

        // Explicit Scalars held for the call (TorchSharp's implicit ones can be freed mid-call; see KeptScalars).
        using var two = 2.0.ToScalar();
        using var one = 1.0.ToScalar();
        using var epsilon = 1e-4.ToScalar();
        var alpha = KeptScalars.One;
        var mean = tag0.add(tag1, alpha).div(two);
        var pull0 = (tag0.sub(mean).pow(two) / num.add(epsilon, alpha)).masked_select(valid).sum();
        var pull1 = (tag1.sub(mean).pow(two) / num.add(epsilon, alpha)).masked_select(valid).sum();
        var pull = pull0.add(pull1, alpha);

        var pairs = valid.unsqueeze(1).logical_and(valid.unsqueeze(2));
        var num3 = num.unsqueeze(2);
        var num2 = num3.sub(one) * num3;
        var dist = mean.unsqueeze(1).sub(mean.unsqueeze(2));
        // 1 − |d| as −|d| + 1: the same float result as the official rsub.
        dist = dist.abs().neg().add(one, alpha).relu();
        dist = dist.sub(num3.add(epsilon, alpha).reciprocal());
        dist = dist / num2.add(epsilon, alpha);
        var push = dist.masked_select(pairs).sum();
        return (pull.MoveToOuterDisposeScope(), push.MoveToOuterDisposeScope());
    }
}
