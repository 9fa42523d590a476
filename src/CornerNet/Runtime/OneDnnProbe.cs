using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// Checks libtorch's float32 convolutions (oneDNN) against float64 on small shapes of the kinds measured wrong on some
/// AVX-512 CPUs (see <c>GuardedConvolution</c>): forward with channel widths above 16 that are not multiples of
/// 16, and backward-data with such output widths or strided multiples of 16. A fault shows as errors of percent or NaN,
/// correct kernels agree to about 1e-6, so one threshold between them decides.
/// </summary>
internal static class OneDnnProbe
{
    /// <summary>Largest relative error (vs float64) taken as correct.</summary>
    internal const double Tolerance = 1e-4;

    /// <summary>Bumped whenever the shapes or the threshold change, so that cached results of an older probe are not
    /// used.</summary>
    internal const int Version = 1;

    /// <summary>One 3×3 probe shape: channel widths, stride, square side, batch.</summary>
    readonly record struct Shape(int InWidth, int OutWidth, int Stride, int Side, int Batch);

    // Widths above 16 and not multiples of 16 (in and out), plus the strided multiple-of-16 shape that faulted.
    static readonly Shape[] ForwardShapes = [new(24, 32, 1, 16, 1), new(40, 24, 1, 17, 2), new(24, 24, 2, 16, 2), new(56, 40, 1, 12, 1), new(20, 16, 1, 16, 1)];
    static readonly Shape[] InputGradientShapes = [new(16, 8, 1, 16, 2), new(16, 24, 1, 16, 1), new(40, 56, 2, 17, 2), new(48, 64, 2, 16, 2), new(32, 40, 1, 16, 1)];

    /// <summary>Runs the probe. Uses its own random generator, so the global seed and its sequence are
    /// untouched.</summary>
    internal static OneDnnProbeResult Run()
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var generator = new Generator(20240613);
        double forward = ForwardShapes.Max(shape => ForwardError(shape, generator));
        double inputGradient = InputGradientShapes.Max(shape => InputGradientError(shape, generator));
        return new OneDnnProbeResult(IsCorrect(forward), forward, IsCorrect(inputGradient), inputGradient, clock.Elapsed.TotalSeconds);
    }

    // NaN is never correct (a comparison with NaN is false).
    static bool IsCorrect(double error) => error <= Tolerance;

    static double ForwardError(Shape shape, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (input, weight) = Operands(shape, generator);
        var actual = nn.functional.conv2d(input, weight, strides: [shape.Stride, shape.Stride], padding: [1, 1]);
        var expected = nn.functional.conv2d(input.to(float64), weight.to(float64), strides: [shape.Stride, shape.Stride], padding: [1, 1]);
        return Relative(actual, expected);
    }

    static double InputGradientError(Shape shape, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (input, weight) = Operands(shape, generator);
        var x = input.requires_grad_(true);
        var output = nn.functional.conv2d(x, weight, strides: [shape.Stride, shape.Stride], padding: [1, 1]);
        var outputGrad = randn(output.shape, generator: generator);
        output.backward([outputGrad]);
        var x64 = input.detach().to(float64).requires_grad_(true);
        nn.functional.conv2d(x64, weight.to(float64), strides: [shape.Stride, shape.Stride], padding: [1, 1]).backward([outputGrad.to(float64)]);
        return Relative(x.grad!, x64.grad!);
    }

    static (Tensor Input, Tensor Weight) Operands(Shape shape, Generator generator) =>
        (randn([shape.Batch, shape.InWidth, shape.Side, shape.Side], generator: generator),
         randn([shape.OutWidth, shape.InWidth, 3, 3], generator: generator));

    static double Relative(Tensor actual, Tensor expected)
    {
        using var difference = actual.to(float64) - expected;
        return difference.norm().item<double>() / expected.norm().item<double>();
    }
}
