using System.Diagnostics;
using TorchSharp;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Times one block of a network family in NCHW and in channels-last layout, alternating, and keeps the best time of
/// each: the family's own block (<see cref="NetworkFamily.LayoutProbeForward"/>: a residual block for Hourglass-104, a
/// fire module for CornerNet-Squeeze) at 128 channels and 64², batch 1. Whether channels-last pays depends on the CPU, the thread count, the number format (oneDNN
/// prefers it for bfloat16) and the kind of convolution, so it is measured, not assumed.
/// </summary>
internal static class LayoutProbe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not used.</summary>
    internal const int Version = 2;

    const int Channels = 128, Side = 64, Rounds = 5;

    /// <summary>Runs the probe for <paramref name="family"/> (<see cref="CornerNetConfig.Family"/>) in
    /// <paramref name="dtype"/> (well under a second on an AVX-512 host).</summary>
    internal static LayoutProbeResult Run(ScalarType dtype, NetworkFamily family)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(20261203);
        long[][] shapes = family.LayoutProbeWeights(Channels);
        var input = randn([1, Channels, Side, Side], generator: generator).to(dtype);
        var weights = shapes.Select(shape =>
        {
            using var scale = (1.0 / Math.Sqrt(shape[1] * shape[2] * shape[3])).ToScalar();
            return randn(shape, generator: generator).mul(scale).to(dtype);
        }).ToList();
        var inputLast = ChannelsLast.Of(input);
        var weightsLast = weights.Select(ChannelsLast.Of).ToList();
        double block(Tensor x, IReadOnlyList<Tensor> w) => TimedPass(family, x, w);
        var (nchw, last) = PairedTiming.Best(() => block(input, weights), () => block(inputLast, weightsLast), Rounds);
        return new LayoutProbeResult(nchw, last, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Seconds for one pass through the family's block.</summary>
    static double TimedPass(NetworkFamily family, Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        family.LayoutProbeForward(input, weights);
        return clock.Elapsed.TotalSeconds;
    }
}

/// <summary>One <see cref="LayoutProbe"/> measurement (cached as JSON).</summary>
/// <param name="NchwSeconds">Best time of the NCHW block.</param>
/// <param name="ChannelsLastSeconds">Best time of the channels-last block.</param>
/// <param name="Seconds">How long the whole probe took.</param>
internal sealed record LayoutProbeResult(
    [property: JsonPropertyName("nchw_seconds")] double NchwSeconds,
    [property: JsonPropertyName("channels_last_seconds")] double ChannelsLastSeconds,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>How many times faster channels-last ran (NCHW time over channels-last time).</summary>
    [JsonIgnore]
    public double Speedup => NchwSeconds / ChannelsLastSeconds;
}
