namespace CornerNet.Runtime;

/// <summary>
/// Which way <c>GuardedConvolution</c> runs convolutions in this process, and why. Decided once, at the first
/// convolution (<see cref="HostDecision{TDecision}"/>): from the environment when it forces a path, else from
/// <see cref="OneDnnProbe"/>'s result for this CPU and libtorch (cached in <see cref="ProbeCache.DefaultDirectory"/>;
/// probed and cached when missing).
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

    static readonly HostDecision<ConvolutionPaths> Decided = new();

    /// <summary>The paths in force (decided, and probed if need be, on first use).</summary>
    public static ConvolutionPaths Active =>
        Decided.For("", () => Decide(Environment.GetEnvironmentVariable, ProbeCache.DefaultDirectory));

    /// <summary>Test hook: <paramref name="paths"/> are in force on this flow of execution until the result is
    /// disposed.</summary>
    internal static IDisposable Force(ConvolutionPaths paths) => Decided.Force(paths);

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
        var (probe, source) = HostDecision.Measured(cacheDirectory, ProbeCache.ConvolutionCorrectness,
            ProbeCache.HostKey(OneDnnProbe.Version), _ => true, OneDnnProbe.Run, HostDecision.Probed);
        if (probe is null) source += "; both fallbacks on";
        if (forcedNote.Length > 0) source = $"{source}; {forcedNote}";
        // A probe that could not run leaves both exact fallbacks on.
        return new ConvolutionPaths(forcedPadding ?? !(probe?.ForwardCorrect ?? false),
            forcedGradient ?? !(probe?.InputGradientCorrect ?? false), probe, source);
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
