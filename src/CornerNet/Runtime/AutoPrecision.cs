namespace CornerNet.Runtime;

/// <summary>
/// What <see cref="Precision.Auto"/> means on this host, and why: bfloat16 only when the CPU runs it natively (flag
/// avx512_bf16 or amx_bf16) and <see cref="BFloat16Probe"/> measures it at least <see cref="RequiredSpeedup"/> times
/// faster than float32; else float32. Decided by <see cref="HostDecision{TDecision}"/>; the measurement is cached per
/// CPU, libtorch and thread count.
/// </summary>
/// <param name="Chosen">The precision auto runs: <see cref="Precision.Bf16"/> or <see cref="Precision.Fp32"/>.</param>
/// <param name="Probe">The measurement, when one was made or cached (null on CPUs without native bfloat16).</param>
/// <param name="Source">Where the decision came from, for <c>cornernet --version</c>.</param>
internal sealed record AutoPrecision(Precision Chosen, SpeedComparison? Probe, string Source)
{
    /// <summary>The least bfloat16 speed-up (float32 time over bfloat16 time) for which auto picks bfloat16.</summary>
    public const double RequiredSpeedup = 1.2;

    static readonly HostDecision<AutoPrecision> Decided = new();

    /// <summary>The decision on this host (measured, or read from the cache, on first use).</summary>
    public static AutoPrecision Active =>
        Decided.For("", () => Decide(CpuIdentity.Current.Flags, ProbeCache.DefaultDirectory));

    /// <summary>Test hook: <paramref name="decision"/> is in force on this flow of execution until the result is
    /// disposed.</summary>
    internal static IDisposable Force(AutoPrecision decision) => Decided.Force(decision);

    /// <summary><paramref name="precision"/> with <see cref="Precision.Auto"/> replaced by this host's
    /// choice.</summary>
    public static Precision Resolve(Precision precision) => precision == Precision.Auto ? Active.Chosen : precision;

    /// <summary>The decision and why, on one line.</summary>
    public string Describe()
    {
        string measured = Probe is { } p ? $"bf16 {p.Speedup:0.00}× fp32 speed, needs {RequiredSpeedup:0.0}×; " : "";
        return $"auto = {(Chosen == Precision.Bf16 ? "bf16" : "fp32")} ({measured}{Source})";
    }

    /// <summary>
    /// The decision for CPU flags <paramref name="cpuFlags"/>, a cache folder (null: none) and a thread count (default:
    /// the current one; the bf16 speed-up differs between 1 and 2 threads, so each count has its own cache entry).
    /// </summary>
    internal static AutoPrecision Decide(string cpuFlags, string? cacheDirectory, int? threads = null)
    {
        var flags = cpuFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!flags.Contains("avx512_bf16") && !flags.Contains("amx_bf16"))
            return new AutoPrecision(Precision.Fp32, null, "no native bfloat16: cpu flags lack avx512_bf16 and amx_bf16");
        string key = $"{ProbeCache.HostKey(BFloat16Probe.Version)}|threads {threads ?? TorchRuntime.Threads}";
        var (probe, source) = HostDecision.Measured(cacheDirectory, ProbeCache.BFloat16Speed, key, p => p.IsComplete,
            BFloat16Probe.Run, HostDecision.Speed("bfloat16"));
        return new AutoPrecision(probe?.Speedup >= RequiredSpeedup ? Precision.Bf16 : Precision.Fp32, probe, source);
    }
}
