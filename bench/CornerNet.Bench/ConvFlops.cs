using CornerNet.Model;

namespace CornerNet.Benchmarks;

/// <summary>
/// Convolution FLOPs of one CornerNet forward, counted analytically from the architecture by
/// <see cref="ConvolutionCount"/> (2·C_in·C_out·k²·H_out·W_out / groups per convolution). The test path runs the heads
/// of the last stack only; the training path runs the heads of every stack.
/// </summary>
internal static class ConvFlops
{
    /// <summary>FLOPs of the convolutions for one <paramref name="height"/>×<paramref name="width"/> image.</summary>
    public static double Count(CornerNetConfig config, int height, int width, bool trainingPath = false) =>
        ConvolutionCount.Of(config, height, width, everyStack: trainingPath).Flops;
}
