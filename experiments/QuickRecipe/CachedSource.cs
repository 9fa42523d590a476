using CornerNet.Data;

namespace CornerNet.Experiments;

/// <summary>
/// Synthetic images generated once up front (in parallel) and kept in memory, so the training loop never waits for
/// the generator's per-pixel work.
/// </summary>
sealed class CachedSource : IDetectionSource
{
    readonly SyntheticImage[] _samples;

    CachedSource(SyntheticImage[] samples) => _samples = samples;

    public static CachedSource Generate(SyntheticShapes generator, int count, int seed)
    {
        var samples = new SyntheticImage[count];
        Parallel.For(0, count, i => samples[i] = generator.Generate(seed, i));
        return new CachedSource(samples);
    }

    public int Count => _samples.Length;

    public SyntheticImage Sample(int index) => _samples[index];

    public LabeledImage Load(int index)
    {
        var s = _samples[index];
        return new LabeledImage(s.Image, s.Objects.Select(o => o.Box).ToArray(), s.Objects.Select(o => o.ClassIndex).ToArray());
    }
}
