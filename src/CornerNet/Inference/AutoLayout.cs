using System.Runtime.InteropServices;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// What <see cref="MemoryLayout.Auto"/> means on this host for a number format, and why: channels-last when
/// <see cref="LayoutProbe"/> measures it at least <see cref="RequiredSpeedup"/> times faster than NCHW on a block of the
/// network family, else NCHW. The measurement is cached per CPU, libtorch, thread count, number format and family beside
/// the oneDNN probe.
/// </summary>
/// <param name="Chosen"><see cref="MemoryLayout.ChannelsLast"/> or <see cref="MemoryLayout.Nchw"/>.</param>
/// <param name="Probe">The measurement (null when it failed).</param>
/// <param name="Source">Where the decision came from, for <c>cornernet --version</c>.</param>
internal sealed record AutoLayout(MemoryLayout Chosen, LayoutProbeResult? Probe, string Source)
{
    /// <summary>The least channels-last speed-up for which auto picks it (the probe's noise is a few per cent).</summary>
    public const double RequiredSpeedup = 1.05;

    static readonly Dictionary<(ScalarType, NetworkFamily), AutoLayout> Decided = [];

    /// <summary>The decision on this host for <paramref name="dtype"/> and a network <paramref name="family"/>
    /// (<see cref="CornerNetConfig.Family"/>; measured, or read from the cache, on first use).</summary>
    public static AutoLayout For(ScalarType dtype, NetworkFamily family)
    {
        lock (Decided)
        {
            if (!Decided.TryGetValue((dtype, family), out var decision))
                Decided[(dtype, family)] = decision = Decide(dtype, OneDnnProbeCache.DefaultDirectory, family: family);
            return decision;
        }
    }

    /// <summary>The decision and why, on one line.</summary>
    public string Describe() =>
        $"auto = {(Chosen == MemoryLayout.ChannelsLast ? "channels-last" : "nchw")} ({(Probe is { } p ? $"channels-last {p.Speedup:0.00}× nchw speed, needs {RequiredSpeedup:0.00}×; " : "")}{Source})";

    /// <summary>The decision for <paramref name="dtype"/>, a cache folder (null: none), a thread count (default: the
    /// current one) and a network family.</summary>
    internal static AutoLayout Decide(ScalarType dtype, string? cacheDirectory, int? threads = null, NetworkFamily? family = null)
    {
        // Without a family: the default family's block.
        family ??= CornerNetConfig.Families[0];
        string key = $"{OneDnnProbeCache.HostKey(LayoutProbe.Version)}|threads {threads ?? TorchRuntime.Threads}|{dtype}|{family}";
        LayoutProbeResult probe;
        string source;
        try
        {
            (probe, source) = OneDnnProbeCache.CachedOrMeasured(cacheDirectory, OneDnnProbeCache.LayoutSpeed, key,
                cached => cached.NchwSeconds > 0 && cached.ChannelsLastSeconds > 0, () => LayoutProbe.Run(dtype, family));
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException)
        {
            return new AutoLayout(MemoryLayout.Nchw, null, $"layout measurement failed ({e.Message.Split('\n')[0]})");
        }
        return new AutoLayout(probe.Speedup >= RequiredSpeedup ? MemoryLayout.ChannelsLast : MemoryLayout.Nchw, probe, source);
    }
}
