namespace CornerNet.Data;

/// <summary>
/// The synthetic shapes as an in-memory <see cref="IDetectionSource"/>: image i is generated on demand
/// (the same pixels and boxes <see cref="SyntheticShapesDataset"/> would write), so training needs no files.
/// </summary>
internal sealed class SyntheticShapesSource(SyntheticShapes generator, int count, int seed) : IDetectionSource
{
    /// <inheritdoc/>
    public int Count { get; } = count;

    /// <inheritdoc/>
    public LabeledImage Load(int index)
    {
        var sample = generator.Generate(seed, index);
        return new LabeledImage(sample.Image, sample.Objects.Select(o => o.Box).ToArray(), sample.Objects.Select(o => o.ClassIndex).ToArray());
    }
}
