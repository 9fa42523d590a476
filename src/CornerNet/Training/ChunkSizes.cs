using CornerNet.Data;

namespace CornerNet.Training;

/// <summary>
/// How a batch is split across the processes of a data-parallel run, like the official <c>chunk_sizes</c>: evenly
/// where possible (the first <c>batch mod ranks</c> processes take one more image), or as the user lists them.
/// </summary>
internal static class ChunkSizes
{
    /// <summary>
    /// The chunk sizes of a <paramref name="batchSize"/>-image batch over <paramref name="ranks"/> processes; an
    /// explicit <paramref name="sizes"/> list must have one positive entry per process and sum to the batch size.
    /// </summary>
    public static int[] Split(int batchSize, int ranks, IReadOnlyList<int>? sizes = null)
    {
        if (sizes is { Count: > 0 })
        {
            if (sizes.Count != ranks)
                throw new InvalidInputException(null, $"--chunk-sizes lists {sizes.Count} chunk(s) but the job has {ranks} process(es)");
            if (sizes.Any(s => s < 1)) throw new InvalidInputException(null, "--chunk-sizes must all be ≥ 1");
            if (sizes.Sum() != batchSize)
                throw new InvalidInputException(null, $"--chunk-sizes {string.Join(",", sizes)} sum to {sizes.Sum()}, not to the batch size {batchSize}");
            return sizes.ToArray();
        }
        if (batchSize < ranks)
            throw new InvalidInputException(null, $"the batch of {batchSize} image(s) cannot be split over {ranks} processes (each needs at least one)");
        return Enumerable.Range(0, ranks).Select(r => batchSize / ranks + (r < batchSize % ranks ? 1 : 0)).ToArray();
    }

    /// <summary>The positions of each batch that process <paramref name="rank"/> loads.</summary>
    public static BatchChunk ChunkOf(int[] sizes, int rank) => new(sizes.Take(rank).Sum(), sizes[rank]);
}
