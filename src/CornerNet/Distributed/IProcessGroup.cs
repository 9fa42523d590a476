namespace CornerNet.Distributed;

/// <summary>
/// The processes (ranks) of a data-parallel job and the collectives they use. Every rank must make the same calls in
/// the same order. <see cref="SingleProcess"/> is the group of one; <see cref="MpiCommunicator"/> the group of an
/// <c>mpirun</c> job.
/// </summary>
internal interface IProcessGroup : IDisposable
{
    /// <summary>This process's index, 0…<see cref="Size"/>−1; rank 0 owns the outputs.</summary>
    int Rank { get; }

    /// <summary>Number of processes.</summary>
    int Size { get; }

    /// <summary>This process's index among the processes on its machine (picks its GPU).</summary>
    int LocalRank { get; }

    /// <summary>Replaces <paramref name="values"/> by their element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>See <see cref="AllReduceSum(Span{float})"/>.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>See <see cref="AllReduceSum(Span{float})"/>.</summary>
    void AllReduceSum(Span<int> values);

    /// <summary>Replaces <paramref name="values"/> by their element-wise maximum over all ranks.</summary>
    void AllReduceMax(Span<int> values);


    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> to every rank.</summary>
    void Broadcast(Span<byte> values, int root);


    /// <summary>Every rank's <paramref name="values"/>, by rank, on <paramref name="root"/>; null on the other
    /// ranks.</summary>
    byte[][]? Gather(ReadOnlySpan<byte> values, int root);

    /// <summary>Waits until every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends the whole job at once with <paramref name="exitCode"/> (after this rank has said why).</summary>
    void Abort(int exitCode);
}
