using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// Times a small stack of 3×3 convolutions (128→128 channels at 64², batch 1) in float32 (baseline) and in bfloat16
/// (candidate), interleaved, and keeps the best time of each. Some CPUs that report avx512_bf16 run bfloat16
/// convolutions more slowly than float32 (issue 17), so the flag alone cannot decide.
/// </summary>
internal static class BFloat16Probe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not
    /// used.</summary>
    internal const int Version = 1;

    const int Layers = 3, Channels = 128, Side = 64, Rounds = 5;

    /// <summary>Runs the probe (well under a second on an AVX-512 host). Uses its own random generator.</summary>
    internal static SpeedComparison Run()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(20260317);
        var input = randn([1, Channels, Side, Side], generator: generator);
        var weights = Enumerable.Range(0, Layers)
            .Select(_ => randn([Channels, Channels, 3, 3], generator: generator) * (1.0 / Math.Sqrt(9 * Channels)))
            .ToList();
        var input16 = input.to(ScalarType.BFloat16);
        var weights16 = weights.Select(w => w.to(ScalarType.BFloat16)).ToList();
        return SpeedComparison.BestWallTime(() => Stack(input, weights), () => Stack(input16, weights16), Rounds);
    }

    /// <summary>One pass through the stack.</summary>
    static void Stack(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var weight in weights) x = nn.functional.conv2d(x, weight, padding: [1, 1]);
    }
}
