using System.Diagnostics;
using TorchSharp;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Times a residual block like the network's (two 3×3 convolutions 128→128 at 64², a ReLU and the residual add,
/// batch 1) in NCHW and in channels-last layout, alternating, and keeps the best time of each: convolutions are almost
/// all of a forward pass. Whether channels-last pays depends on the CPU, the thread count and the number format
/// (oneDNN prefers it for bfloat16), so it is measured, not assumed.
/// </summary>
internal static class LayoutProbe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not used.</summary>
    internal const int Version = 1;

    const int Channels = 128, Side = 64, Rounds = 5;

    /// <summary>Runs the probe in <paramref name="dtype"/> (well under a second on an AVX-512 host).</summary>
    internal static LayoutProbeResult Run(ScalarType dtype)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(20261203);
        using var scale = (1.0 / Math.Sqrt(9 * Channels)).ToScalar();
        var input = randn([1, Channels, Side, Side], generator: generator).to(dtype);
        var weights = Enumerable.Range(0, 2).Select(_ => randn([Channels, Channels, 3, 3], generator: generator).mul(scale).to(dtype)).ToList();
        var inputLast = ChannelsLast.Of(input);
        var weightsLast = weights.Select(ChannelsLast.Of).ToList();
        var (nchw, last) = PairedTiming.Best(() => Block(input, weights), () => Block(inputLast, weightsLast), Rounds);
        return new LayoutProbeResult(nchw, last, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Seconds for one pass through the block.</summary>
    static double Block(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var hidden = nn.functional.relu(nn.functional.conv2d(input, weights[0], padding: [1, 1]));
        nn.functional.conv2d(hidden, weights[1], padding: [1, 1]).add_(input);
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
