using System.Runtime.InteropServices;

namespace CornerNet.Runtime;

/// <summary>
/// Which way <c>GuardedConvolution</c> runs convolutions in this process, and why. Decided once, at the first
/// convolution: from the environment when it forces a path, else from <see cref="OneDnnProbe"/>'s result for this CPU
/// and libtorch (cached in <see cref="OneDnnProbeCache.DefaultDirectory"/>; probed and cached when missing).
/// Environment: <c>CORNERNET_CONV_FORWARD</c> = <c>probe</c> (default) | <c>plain</c> | <c>padded</c>, and
/// <c>CORNERNET_CONV_INPUT_GRADIENT</c> = <c>probe</c> (default) | <c>plain</c> | <c>forward</c>.
/// </summary>
/// <param name="PaddedForward">Convolutions with a channel width above 16 and not a multiple of 16 run zero-padded to a
/// multiple of 16 (<c>ChannelPaddedConvolution</c>).</param>
/// <param name="InputGradientByForward">Input gradients are computed with forward convolutions
/// (<c>ConvolutionInputGradient</c>) instead of oneDNN's backward-data kernel.</param>
/// <param name="Probe">The probe's finding, when it was consulted (null when the environment forced both
/// paths).</param>
/// <param name="Source">Where the decision came from, for <c>cornernet --version</c>.</param>
internal sealed record ConvolutionPaths(bool PaddedForward, bool InputGradientByForward, OneDnnProbeResult? Probe, string Source)
{
    /// <summary>Environment variable forcing the forward path.</summary>
    public const string ForwardVariable = "CORNERNET_CONV_FORWARD";

    /// <summary>Environment variable forcing the input-gradient path.</summary>
    public const string InputGradientVariable = "CORNERNET_CONV_INPUT_GRADIENT";

    static readonly Lazy<ConvolutionPaths> Decided = new(() => Decide(Environment.GetEnvironmentVariable, OneDnnProbeCache.DefaultDirectory));
    static readonly AsyncLocal<ConvolutionPaths?> Forced = new();

    /// <summary>The paths in force (decided, and probed if need be, on first use).</summary>
    public static ConvolutionPaths Active => Forced.Value ?? Decided.Value;

    /// <summary>Test hook: <paramref name="paths"/> are in force on this flow of execution until the result is
    /// disposed.</summary>
    internal static IDisposable Force(ConvolutionPaths paths)
    {
        var previous = Forced.Value;
        Forced.Value = paths;
        return new Restore(() => Forced.Value = previous);
    }

    sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>Both paths and why, on one line.</summary>
    public string Describe() =>
        $"forward {(PaddedForward ? "channel-padded" : "plain oneDNN")}, input gradient {(InputGradientByForward ? "by forward convolutions" : "plain oneDNN")} ({Source})";

    /// <summary>The paths for an environment (<paramref name="variable"/> looks one up) and a cache folder (null:
    /// none).</summary>
    internal static ConvolutionPaths Decide(Func<string, string?> variable, string? cacheDirectory)
    {
        bool? forcedPadding = Read(variable, ForwardVariable, "plain", "padded");
        bool? forcedGradient = Read(variable, InputGradientVariable, "plain", "forward");
        var forced = new List<string>();
        if (forcedPadding is not null) forced.Add($"{ForwardVariable}={variable(ForwardVariable)!.Trim()}");
        if (forcedGradient is not null) forced.Add($"{InputGradientVariable}={variable(InputGradientVariable)!.Trim()}");
        string forcedNote = forced.Count > 0 ? "forced by " + string.Join(", ", forced) : "";
        if (forcedPadding is bool padding && forcedGradient is bool gradient)
            return new ConvolutionPaths(padding, gradient, null, forcedNote);
        var (probe, source) = ProbeOrCached(cacheDirectory is null ? null : new OneDnnProbeCache(cacheDirectory));
        if (forcedNote.Length > 0) source = $"{source}; {forcedNote}";
        // A probe that could not run leaves both exact fallbacks on.
        return new ConvolutionPaths(forcedPadding ?? !(probe?.ForwardCorrect ?? false), forcedGradient ?? !(probe?.InputGradientCorrect ?? false), probe, source);
    }

    /// <summary>The probe's result from the cache, or from running it (then cached when the folder is
    /// writable).</summary>
    static (OneDnnProbeResult? Probe, string Source) ProbeOrCached(OneDnnProbeCache? cache)
    {
        string key = OneDnnProbeCache.HostKey(OneDnnProbe.Version);
        if (cache?.Read<OneDnnProbeResult>(key) is OneDnnProbeResult cached) return (cached, $"probe cached in {cache.PathFor(key)}");
        OneDnnProbeResult probe;
        try { probe = OneDnnProbe.Run(); }
        catch (Exception e) when (e is ExternalException or InvalidOperationException) { return (null, $"probe failed ({e.Message.Split('\n')[0]}); both fallbacks on"); }
        bool stored = cache?.Write(key, probe) ?? false;
        return (probe, stored ? $"probed now, cached in {cache!.PathFor(key)}" : cache is null ? "probed now, not cached (no cache folder)" : $"probed now, not cached ({cache.Directory} not writable)");
    }

    /// <summary>Null for unset or "probe"; else whether the named fallback is forced on.</summary>
    static bool? Read(Func<string, string?> lookup, string variable, string plain, string fallback)
    {
        string? value = lookup(variable)?.Trim();
        if (string.IsNullOrEmpty(value) || value.Equals("probe", StringComparison.OrdinalIgnoreCase)) return null;
        if (value.Equals(plain, StringComparison.OrdinalIgnoreCase)) return false;
        if (value.Equals(fallback, StringComparison.OrdinalIgnoreCase)) return true;
        throw new InvalidInputException(null, $"environment variable {variable}={value}: expected probe, {plain} or {fallback}");
    }
}
