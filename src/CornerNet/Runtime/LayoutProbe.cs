using System.Diagnostics;
using TorchSharp;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// Times one block of a network family in NCHW and in channels-last layout, alternating, and keeps the best time of
/// each: for Hourglass-104 a residual block (two 3×3 convolutions 128→128, a ReLU and the residual add), for
/// CornerNet-Squeeze a fire module (1×1 squeeze 128→64, 1×1 and depthwise 3×3 expansions, concatenation, residual add),
/// both at 64², batch 1. Whether channels-last pays depends on the CPU, the thread count, the number format (oneDNN
/// prefers it for bfloat16) and the kind of convolution, so it is measured, not assumed.
/// </summary>
internal static class LayoutProbe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not used.</summary>
    internal const int Version = 2;

    const int Channels = 128, Side = 64, Rounds = 5;

    /// <summary>Runs the probe for <paramref name="block"/> (the family's, <see cref="LayoutBlock"/>) in
    /// <paramref name="dtype"/> (well under a second on an AVX-512 host).</summary>
    internal static LayoutProbeResult Run(ScalarType dtype, LayoutBlock block)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(20261203);
        bool fire = block == LayoutBlock.Fire;
        long[][] shapes = fire
            ? [[Channels / 2, Channels, 1, 1], [Channels / 2, Channels / 2, 1, 1], [Channels / 2, 1, 3, 3]]
            : [[Channels, Channels, 3, 3], [Channels, Channels, 3, 3]];
        var input = randn([1, Channels, Side, Side], generator: generator).to(dtype);
        var weights = shapes.Select(shape =>
        {
            using var scale = (1.0 / Math.Sqrt(shape[1] * shape[2] * shape[3])).ToScalar();
            return randn(shape, generator: generator).mul(scale).to(dtype);
        }).ToList();
        var inputLast = ChannelsLast.Of(input);
        var weightsLast = weights.Select(ChannelsLast.Of).ToList();
        Func<Tensor, IReadOnlyList<Tensor>, double> pass = fire ? FireBlock : ResidualBlock;
        var (nchw, last) = PairedTiming.Best(() => pass(input, weights), () => pass(inputLast, weightsLast), Rounds);
        return new LayoutProbeResult(nchw, last, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Seconds for one pass through a residual block.</summary>
    static double ResidualBlock(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var hidden = nn.functional.relu(nn.functional.conv2d(input, weights[0], padding: [1, 1]));
        nn.functional.conv2d(hidden, weights[1], padding: [1, 1]).add_(input);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds for one pass through a fire module.</summary>
    static double FireBlock(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var squeezed = nn.functional.conv2d(input, weights[0]);
        var expand1 = nn.functional.conv2d(squeezed, weights[1]);
        var expand3 = nn.functional.conv2d(squeezed, weights[2], padding: [1, 1], groups: Channels / 2);
        cat([expand1, expand3], 1).add_(input).relu_();
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
