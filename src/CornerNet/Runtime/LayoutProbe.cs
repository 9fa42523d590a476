using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// Times one block of a network family (<see cref="LayoutBlock"/>) in NCHW (baseline) and in channels-last layout
/// (candidate), alternating, and keeps the best time of each, at 64², batch 1. Whether channels-last pays depends on
/// the CPU, the thread count, the number format (oneDNN prefers it for bfloat16) and the kind of convolution, so it is
/// measured, not assumed.
/// </summary>
internal static class LayoutProbe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not
    /// used.</summary>
    internal const int Version = 2;

    const int Channels = 128, Side = 64, Rounds = 5;

    /// <summary>Runs the probe for <paramref name="block"/> in <paramref name="dtype"/> (well under a second on an
    /// AVX-512 host).</summary>
    internal static SpeedComparison Run(ScalarType dtype, LayoutBlock block)
    {
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
        Action<Tensor, IReadOnlyList<Tensor>> pass = fire ? FireBlock : ResidualBlock;
        return SpeedComparison.BestWallTime(() => pass(input, weights), () => pass(inputLast, weightsLast), Rounds);
    }

    /// <summary>One pass through a residual block.</summary>
    static void ResidualBlock(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.relu(nn.functional.conv2d(input, weights[0], padding: [1, 1]));
        nn.functional.conv2d(hidden, weights[1], padding: [1, 1]).add_(input);
    }

    /// <summary>One pass through a fire module.</summary>
    static void FireBlock(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var squeezed = nn.functional.conv2d(input, weights[0]);
        var expand1 = nn.functional.conv2d(squeezed, weights[1]);
        var expand3 = nn.functional.conv2d(squeezed, weights[2], padding: [1, 1], groups: Channels / 2);
        cat([expand1, expand3], 1).add_(input).relu_();
    }
}
