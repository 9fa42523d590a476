namespace CornerNet.Data;

/// <summary>
/// Another <see cref="IDetectionSource"/> decoded (or generated) once, in parallel, and kept in memory, so the training
/// loop never waits for per-image work. Suited to small datasets such as the synthetic shapes of the quick start.
/// </summary>
internal sealed class PreloadedSource : IDetectionSource
{
    readonly LabeledImage[] _images;

    PreloadedSource(LabeledImage[] images) => _images = images;

    /// <summary>Loads every image of <paramref name="source"/>; <paramref name="loaded"/> gets the running count (never
    /// concurrently).</summary>
    public static PreloadedSource From(IDetectionSource source, Action<int>? loaded = null)
    {
        var images = new LabeledImage[source.Count];
        int done = 0;
        var gate = new object();
        Parallel.For(0, source.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            images[i] = source.Load(i);
            lock (gate) loaded?.Invoke(++done);
        });
        return new PreloadedSource(images);
    }

    /// <inheritdoc/>
    public int Count => _images.Length;

    /// <inheritdoc/>
    public LabeledImage Load(int index) => _images[index];
}
