namespace CornerNet.Runtime;

/// <summary>Times two variants of one computation alternately, so that a change in the machine's load affects both
/// alike, and keeps the best time of each (the probes' way of deciding which variant this host runs faster).</summary>
internal static class PairedTiming
{
    /// <summary>Runs each variant once to warm it up, then <paramref name="rounds"/> alternating rounds; each variant
    /// returns its own seconds.</summary>
    public static (double First, double Second) Best(Func<double> first, Func<double> second, int rounds)
    {
        first();
        second();
        double a = double.MaxValue, b = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            a = Math.Min(a, first());
            b = Math.Min(b, second());
        }
        return (a, b);
    }
}
