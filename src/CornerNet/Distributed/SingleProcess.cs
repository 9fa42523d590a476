namespace CornerNet.Distributed;

/// <summary>The group of one process: every collective is the identity. Needs no MPI.</summary>
internal sealed class SingleProcess : IProcessGroup
{
    /// <summary>The one instance.</summary>
    public static SingleProcess Instance { get; } = new();

    SingleProcess() { }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public int LocalRank => 0;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<int> values) { }

    /// <inheritdoc/>
    public void AllReduceMax(Span<int> values) { }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root) { }

    /// <inheritdoc/>
    public byte[][]? Gather(ReadOnlySpan<byte> values, int root) => [values.ToArray()];

    /// <inheritdoc/>
    public void Barrier() { }

    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <inheritdoc/>
    public void Dispose() { }
}
