using CornerNet.Inference;
using CornerNet.Runtime;

namespace CornerNet.Quantization;

/// <summary>
/// Which activation type int8 models use on this host when none is asked for (<see cref="QuantizationOptions"/>), and
/// why: int8 when <see cref="ActivationTypeProbe"/> measures it faster than uint8, else uint8. Decided by
/// <see cref="HostDecision{TDecision}"/>; the measurement is cached per CPU, ONNX Runtime version and thread count.
/// </summary>
/// <param name="Chosen"><see cref="ActivationType.Int8"/> or <see cref="ActivationType.Uint8"/>.</param>
/// <param name="Probe">The measurement (baseline uint8, candidate int8; null when it failed).</param>
/// <param name="Source">Where the decision came from, for <c>cornernet --version</c>.</param>
internal sealed record AutoActivationType(ActivationType Chosen, SpeedComparison? Probe, string Source)
{
    static readonly HostDecision<AutoActivationType> Decided = new();

    /// <summary>The decision on this host for <paramref name="threads"/> ONNX Runtime threads (0: its default;
    /// measured, or read from the cache, on first use).</summary>
    public static AutoActivationType For(int threads) =>
        Decided.For($"{threads}", () => Decide(ProbeCache.DefaultDirectory, threads));

    /// <summary>Test hook: <paramref name="decision"/> is in force on this flow of execution until the result is
    /// disposed.</summary>
    internal static IDisposable Force(AutoActivationType decision) => Decided.Force(decision);

    /// <summary>The decision and why, on one line.</summary>
    public string Describe()
    {
        string measured = Probe is { } p ? $"int8 {p.Speedup:0.00}× uint8 speed; " : "";
        return $"auto = {(Chosen == ActivationType.Int8 ? "int8" : "uint8")} ({measured}{Source})";
    }

    /// <summary>The decision for a cache folder (null: none) and a thread count.</summary>
    internal static AutoActivationType Decide(string? cacheDirectory, int threads)
    {
        string runtime = $"onnxruntime {OnnxRuntimeNetwork.RuntimeVersion}";
        string key = $"{ProbeCache.HostKey(ActivationTypeProbe.Version, runtime)}|threads {threads}";
        var (probe, source) = HostDecision.Measured(cacheDirectory, ProbeCache.ActivationTypeSpeed, key,
            p => p.IsComplete, () => ActivationTypeProbe.Run(threads), HostDecision.Speed("int8"));
        return new AutoActivationType(probe?.Speedup > 1 ? ActivationType.Int8 : ActivationType.Uint8, probe, source);
    }
}
