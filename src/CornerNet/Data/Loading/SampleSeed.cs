namespace CornerNet.Data;

/// <summary>
/// Seeds derived from a run's seed so that every epoch and every sample has its own independent
/// random stream: results depend only on (seed, epoch, index), never on which thread ran first.
/// </summary>
internal static class SampleSeed
{
    /// <summary>A 31-bit seed for <see cref="Random"/> from the given parts (SplitMix64 mixing).</summary>
    public static int Derive(int seed, int epoch, int index = -1)
    {
        ulong h = Mix((ulong)(uint)seed);
        h = Mix(h ^ (ulong)(uint)epoch);
        h = Mix(h ^ (ulong)(uint)index);
        return (int)(h >> 33);
    }

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
