using System.Diagnostics;
using System.Text.Json.Serialization;

namespace CornerNet.Runtime;

/// <summary>
/// What a speed probe measured on this host: the time of the baseline way (float32, NCHW, uint8 activations) and of
/// the candidate (bfloat16, channels-last, int8 activations), and how long the probe took. Both are timed by
/// <see cref="BenchmarkTimer"/>, alternately, so that a change in the machine's load affects both alike.
/// </summary>
/// <param name="BaselineSeconds">Time of one run of the baseline.</param>
/// <param name="CandidateSeconds">Time of one run of the candidate.</param>
/// <param name="Seconds">How long the whole probe took.</param>
internal sealed record SpeedComparison(
    [property: JsonPropertyName("baseline_seconds")] double BaselineSeconds,
    [property: JsonPropertyName("candidate_seconds")] double CandidateSeconds,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>How many times faster the candidate ran (baseline time over candidate time).</summary>
    [JsonIgnore]
    public double Speedup => BaselineSeconds / CandidateSeconds;

    /// <summary>Whether both times are real measurements (a foreign or older cache entry reads as zeros).</summary>
    [JsonIgnore]
    public bool IsComplete => BaselineSeconds > 0 && CandidateSeconds > 0;

    /// <summary>The best wall-clock time of each after one warm-up run and <paramref name="rounds"/> alternating
    /// rounds (the libtorch probes).</summary>
    public static SpeedComparison BestWallTime(Action baseline, Action candidate, int rounds) =>
        Measure(baseline, candidate, warmup: 1, rounds, record => record.MinMs);

    /// <summary>The median process CPU time of each (all threads; on a shared machine it is what the kernels cost,
    /// apart from waiting) after <paramref name="warmup"/> untimed and <paramref name="runs"/> alternating runs (the
    /// ONNX Runtime probe).</summary>
    public static SpeedComparison MedianCpuTime(Action baseline, Action candidate, int warmup, int runs) =>
        Measure(baseline, candidate, warmup, runs, record => (double)record.Extra["cpu_median_ms"]);

    static SpeedComparison Measure(Action baseline, Action candidate, int warmup, int runs,
        Func<BenchmarkRecord, double> milliseconds)
    {
        var clock = Stopwatch.StartNew();
        var records = BenchmarkTimer.Interleaved([("baseline", baseline), ("candidate", candidate)], warmup, runs);
        return new SpeedComparison(
            milliseconds(records[0]) / 1000, milliseconds(records[1]) / 1000, clock.Elapsed.TotalSeconds);
    }
}
