using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// What <see cref="SaccadeModel"/> returns, per computed stack: the six heads and the attention logits, one map per
/// hourglass level from the coarsest (innermost, stride 4·2^(n−1)) to the finest (stride 4), as the official
/// <c>_train</c> returns them (the loss and <c>_test</c> apply the sigmoid). Owns its tensors.
/// </summary>
internal sealed record SaccadeOutputs(
    IReadOnlyList<HeadOutputs> Heads, IReadOnlyList<IReadOnlyList<Tensor>> AttentionLogits) : IDisposable
{
    /// <summary>The last computed stack's heads (the test path's).</summary>
    public HeadOutputs LastHeads => Heads[^1];

    /// <summary>The last computed stack's attention logits.</summary>
    public IReadOnlyList<Tensor> LastAttentionLogits => AttentionLogits[^1];

    /// <summary>Moves every tensor out of the current dispose scope.</summary>
    public SaccadeOutputs MoveToOuterDisposeScope()
    {
        foreach (var heads in Heads) heads.MoveToOuterDisposeScope();
        foreach (var t in AttentionLogits.SelectMany(a => a)) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var heads in Heads) heads.Dispose();
        foreach (var t in AttentionLogits.SelectMany(a => a)) t.Dispose();
    }
}
