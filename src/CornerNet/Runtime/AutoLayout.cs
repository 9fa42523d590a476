using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// What <see cref="MemoryLayout.Auto"/> means on this host for a number format and a network family, and why:
/// channels-last when <see cref="LayoutProbe"/> measures it at least <see cref="RequiredSpeedup"/> times faster than
/// NCHW on the family's block, else NCHW. Decided by <see cref="HostDecision{TDecision}"/>; the measurement is cached
/// per CPU, libtorch, thread count, number format and family.
/// </summary>
/// <param name="Chosen"><see cref="MemoryLayout.ChannelsLast"/> or <see cref="MemoryLayout.Nchw"/>.</param>
/// <param name="Probe">The measurement (null when it failed).</param>
/// <param name="Source">Where the decision came from, for <c>cornernet --version</c>.</param>
internal sealed record AutoLayout(MemoryLayout Chosen, SpeedComparison? Probe, string Source)
{
    /// <summary>The least channels-last speed-up for which auto picks it (the probe's noise is a few per
    /// cent).</summary>
    public const double RequiredSpeedup = 1.05;

    static readonly HostDecision<AutoLayout> Decided = new();

    /// <summary>The decision on this host for <paramref name="dtype"/> and a network <paramref name="family"/> whose
    /// probe block is <paramref name="block"/> (measured, or read from the cache, on first use).</summary>
    public static AutoLayout For(ScalarType dtype, string family, LayoutBlock block) =>
        Decided.For($"{dtype}|{family}", () => Decide(dtype, ProbeCache.DefaultDirectory, family, block));

    /// <summary>The decision and why, on one line.</summary>
    public string Describe()
    {
        string measured = Probe is { } p
            ? $"channels-last {p.Speedup:0.00}× nchw speed, needs {RequiredSpeedup:0.00}×; "
            : "";
        return $"auto = {(Chosen == MemoryLayout.ChannelsLast ? "channels-last" : "nchw")} ({measured}{Source})";
    }

    /// <summary>The decision for <paramref name="dtype"/>, a cache folder (null: none), a network family and its
    /// block, and a thread count (default: the current one).</summary>
    internal static AutoLayout Decide(ScalarType dtype, string? cacheDirectory, string family, LayoutBlock block,
        int? threads = null)
    {
        string key =
            $"{ProbeCache.HostKey(LayoutProbe.Version)}|threads {threads ?? TorchRuntime.Threads}|{dtype}|{family}";
        var (probe, source) = HostDecision.Measured(cacheDirectory, ProbeCache.LayoutSpeed, key, p => p.IsComplete,
            () => LayoutProbe.Run(dtype, block), HostDecision.Speed("layout"));
        var chosen = probe?.Speedup >= RequiredSpeedup ? MemoryLayout.ChannelsLast : MemoryLayout.Nchw;
        return new AutoLayout(chosen, probe, source);
    }
}
