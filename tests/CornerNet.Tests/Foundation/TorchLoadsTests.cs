using CornerNet.Runtime;
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
