using System.Diagnostics;

namespace CornerNet.Bench;

/// <summary>Timing of one figure: warm-up runs, then repeated runs; reports median, min and max in milliseconds.</summary>
public sealed record Measurement(string Name, double MedianMs, double MinMs, double MaxMs, int Runs)
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="runs"/> times timed.</summary>
    public static Measurement Of(string name, Action action, int warmup = 1, int runs = 5)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return new Measurement(name, median, times[0], times[^1], runs);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name,-40} median {MedianMs,10:F2} ms  min {MinMs,10:F2}  max {MaxMs,10:F2}  ({Runs} runs)";
}
