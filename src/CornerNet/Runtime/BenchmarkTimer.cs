using System.Diagnostics;

namespace CornerNet.Runtime;

/// <summary>Times actions: untimed warm-up runs, then timed runs; several actions can be interleaved run by
/// run.</summary>
internal static class BenchmarkTimer
{
    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="runs"/>
    /// times timed.</summary>
    public static BenchmarkRecord Measure(string name, Action action, int warmup, int runs) =>
        Interleaved(new[] { (name, action) }, warmup, runs)[0];

    /// <summary>
    /// Times several variants of one figure alternately (warm-up of each, then run 1 of each, run 2 of each, …), so
    /// that load from other processes on a shared machine affects all variants alike.
    /// </summary>
    public static IReadOnlyList<BenchmarkRecord> Interleaved(IReadOnlyList<(string Name, Action Action)> variants, int warmup, int runs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1, nameof(runs));
        ArgumentOutOfRangeException.ThrowIfNegative(warmup, nameof(warmup));
        foreach (var (_, action) in variants)
            for (int i = 0; i < warmup; i++) action();
        var times = variants.Select(_ => new List<double>()).ToArray();
        var cpuTimes = variants.Select(_ => new List<double>()).ToArray();
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < runs; r++)
        {
            for (int v = 0; v < variants.Count; v++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                variants[v].Action();
                times[v].Add(clock.Elapsed.TotalMilliseconds);
                process.Refresh();
                cpuTimes[v].Add((process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
            }
        }
        return variants.Select((v, i) =>
        {
            var record = BenchmarkRecord.FromTimes(v.Name, times[i]);
            // CPU time of the whole process (all threads): on a shared machine it shows the work done apart from
            // waiting.
            record.Extra["cpu_median_ms"] = BenchmarkRecord.FromTimes(v.Name, cpuTimes[i]).MedianMs;
            return record;
        }).ToArray();
    }
}
