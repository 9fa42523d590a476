namespace CornerNet.Data;

/// <summary>Settings of a <see cref="DetectionLoader"/>.</summary>
internal sealed record DetectionLoaderOptions
{
    /// <summary>Images per batch; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Worker threads that decode and augment (default: one per processor).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>How many batches the workers may prepare ahead of the consumer.</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>The run's seed: with the epoch it fixes the order, and with the image index each image's
    /// augmentation.</summary>
    public int Seed { get; init; }

    /// <summary>Visit the images in a new random order each epoch (otherwise in index order).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Leave out images whose file is missing or corrupt (counted in <see cref="DetectionLoader.SkippedImages"/>)
    /// instead of failing with their <see cref="InvalidInputException"/>.
    /// </summary>
    public bool SkipBadImages { get; init; }

    /// <summary>
    /// Load only positions <c>Offset…Offset+Count−1</c> of every batch (this process's chunk in data-parallel
    /// training). Then every batch is yielded, even when its chunk is empty (so that all processes step through the
    /// same batches). Null: the whole batch.
    /// </summary>
    public BatchChunk? Chunk { get; init; }
}

/// <summary>The positions <see cref="Offset"/>…<see cref="Offset"/>+<see cref="Count"/>−1 of a batch.</summary>
internal readonly record struct BatchChunk(int Offset, int Count);
