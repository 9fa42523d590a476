using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Foundation;

public class TorchLoadsTests
{
    [Fact]
    public void LibTorchReportsVersion2_10()
    {
        Assert.StartsWith("2.10", TorchRuntime.LibTorchVersion);
        Assert.Contains("cpu", TorchRuntime.Devices);
    }

    [Fact]
    public void ConvForwardAndBackwardGiveKnownNumbers()
    {
        using var scope = NewDisposeScope();
        // 1×1×3×3 input 0..8, 2×2 kernel [[1,2],[3,4]], no padding: each output is a weighted window sum.
        var x = arange(9, dtype: float32).reshape(1, 1, 3, 3).requires_grad_(true);
        var w = tensor(new float[] { 1, 2, 3, 4 }).reshape(1, 1, 2, 2).requires_grad_(true);
        var y = nn.functional.conv2d(x, w);
        float[] expected = { 0 * 1 + 1 * 2 + 3 * 3 + 4 * 4, 1 + 2 * 2 + 4 * 3 + 5 * 4, 3 + 4 * 2 + 6 * 3 + 7 * 4, 4 + 5 * 2 + 7 * 3 + 8 * 4 };
        Assert.Equal(expected, y.data<float>().ToArray());

        y.sum().backward();
        // d sum / d x[i,j] = sum of kernel weights that touch (i,j); d sum / d w = sum of the windows' inputs.
        float[] gradX = { 1, 3, 2, 4, 10, 6, 3, 7, 4 };
        float[] gradW = { 0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 3 + 4 + 6 + 7, 4 + 5 + 7 + 8 };
        Assert.Equal(gradX, x.grad!.data<float>().ToArray());
        Assert.Equal(gradW, w.grad!.data<float>().ToArray());
    }
}

public class ConvBackwardTests
{
    [Fact]
    public void Float32ConvBackwardAgreesWithFloat64()
    {
        // Guards the oneDNN AVX-512 backward-data fault (see OneDnnIsaCap): two stacked 3×3 convolutions, input gradient
        // in float32 against float64, over repeated calls (the fault showed on first calls and with one thread).
        using var scope = NewDisposeScope();
        manual_seed(1);
        var input = randn(2, 16, 16, 16);
        var w1 = randn(8, 16, 3, 3) * 0.1;
        var w2 = randn(16, 8, 3, 3) * 0.1;
        Tensor Grad(ScalarType dtype)
        {
            var x = input.to(dtype).detach().requires_grad_(true);
            var y = nn.functional.conv2d(nn.functional.conv2d(x, w1.to(dtype), padding: new long[] { 1, 1 }), w2.to(dtype), padding: new long[] { 1, 1 });
            (y * y).sum().backward();
            return x.grad!.to(float64);
        }
        var reference = Grad(float64);
        for (int rep = 0; rep < 3; rep++)
        {
            double relative = ((Grad(float32) - reference).norm() / reference.norm()).item<double>();
            Assert.True(relative < 1e-5, $"call {rep + 1}: relative error {relative}");
        }
    }
}
