using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class GuardedConvolutionTests
{
    // The shapes include those where oneDNN's AVX-512 backward-data kernel was measured wrong (8 output channels;
    // 48→64 at stride 2 with a batch of two), strided convolutions on even and odd sizes (the last input row then gets
    // gradient from the last window or none), 1×1 and the 7×7 stem.
    [Theory]
    [InlineData(16, 8, 3, 1, 16, 2)]
    [InlineData(48, 64, 3, 2, 16, 2)]
    [InlineData(32, 48, 3, 2, 16, 1)]
    [InlineData(32, 32, 3, 2, 15, 2)]
    [InlineData(32, 32, 1, 2, 33, 1)]
    [InlineData(16, 32, 1, 1, 12, 2)]
    [InlineData(3, 16, 7, 2, 31, 1)]
    [InlineData(3, 16, 7, 2, 32, 2)]
    [InlineData(8, 16, 3, 3, 14, 1)]
    public void GradientsAgreeWithFloat64(int inChannels, int outChannels, int kernel, int stride, int size, int batch)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: true);
        var input = randn(batch, inChannels, size, size);
        var outputGrad = randn(conv.forward(input).shape);

        var reference = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: true);
        reference.to(float64);
        using (no_grad())
        {
            reference.weight!.copy_(conv.weight!);
            reference.bias!.copy_(conv.bias!);
        }
        var x64 = input.to(float64).requires_grad_(true);
        reference.forward(x64).backward([outputGrad.to(float64)]);

        for (int call = 1; call <= 2; call++)
        {
            conv.zero_grad();
            var x = input.detach().clone().requires_grad_(true);
            // A gradient must flow back into the input for the guarded path to be taken.
            GuardedConvolution.Forward(conv, x).backward([outputGrad]);
            Assert.True(Relative(x.grad!, x64.grad!) < 1e-5, $"call {call}: input gradient off by {Relative(x.grad!, x64.grad!)}");
            Assert.True(Relative(conv.weight!.grad!, reference.weight!.grad!) < 1e-5, $"call {call}: weight gradient off");
            Assert.True(Relative(conv.bias!.grad!, reference.bias!.grad!) < 1e-5, $"call {call}: bias gradient off");
        }
    }

    // Depthwise (the fire modules' 3×3 expand): widths that are and are not multiples of 16, stride 1 and 2.
    [Theory]
    [InlineData(24, 1, 16, 2)]
    [InlineData(24, 2, 16, 2)]
    [InlineData(64, 2, 15, 1)]
    [InlineData(128, 1, 8, 2)]
    public void DepthwiseGradientsAgreeWithFloat64(int channels, int stride, int size, int batch)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var conv = nn.Conv2d(channels, channels, 3, stride: stride, padding: 1, groups: channels, bias: false);
        var input = randn(batch, channels, size, size);
        var outputGrad = randn(conv.forward(input).shape);
        var reference = nn.Conv2d(channels, channels, 3, stride: stride, padding: 1, groups: channels, bias: false);
        reference.to(float64);
        using (no_grad()) reference.weight!.copy_(conv.weight!);
        var x64 = input.to(float64).requires_grad_(true);
        reference.forward(x64).backward([outputGrad.to(float64)]);

        var x = input.detach().clone().requires_grad_(true);
        var output = GuardedConvolution.Forward(conv, x);
        Assert.True(output.detach().Equals(conv.forward(input)), "guarded values differ from the plain depthwise convolution");
        output.backward([outputGrad]);
        Assert.True(Relative(x.grad!, x64.grad!) < 1e-5, $"input gradient off by {Relative(x.grad!, x64.grad!)}");
        Assert.True(Relative(conv.weight!.grad!, reference.weight!.grad!) < 1e-5, "weight gradient off");
    }

    [Fact]
    public void ValuesEqualThePlainConvolution()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var conv = nn.Conv2d(16, 32, 3, stride: 2, padding: 1, bias: false);
        var x = randn(2, 16, 20, 20).requires_grad_(true);
        var guarded = GuardedConvolution.Forward(conv, x);
        var plain = conv.forward(x);
        Assert.True(guarded.Equals(plain));
        Assert.True(guarded.requires_grad);
    }

    [Fact]
    public void DilatedConvolutionIsRefusedWhenAGradientWouldFlow()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(8, 8, 3, padding: 2, dilation: 2, bias: false);
        var x = randn(1, 8, 10, 10).requires_grad_(true);
        Assert.Throws<ArgumentException>(() => GuardedConvolution.Forward(conv, x));
        using (no_grad()) Assert.Equal(conv.forward(x).shape, GuardedConvolution.Forward(conv, x).shape);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(16, true)]
    [InlineData(48, true)]
    [InlineData(512, true)]
    [InlineData(17, false)]
    [InlineData(24, false)]
    [InlineData(40, false)]
    public void SafeWidthsAreAtMost16OrMultiplesOf16(int width, bool safe) =>
        Assert.Equal(safe, GuardedConvolution.IsSafeWidth(width));

    [Fact]
    public void ConfigWithAnUnsafeWidthIsRefused()
    {
        var config = ModelPresets.Tiny with { CnvDim = 24 };
        var error = Assert.Throws<InvalidInputException>(() => config.Validate("test.json"));
        Assert.Contains("channel width 24", error.Message);
        foreach (string name in ModelPresets.Names) ModelPresets.Get(name).Validate(name);
    }

    static double Relative(Tensor actual, Tensor expected) =>
        (actual.to(float64) - expected).norm().item<double>() / expected.norm().item<double>();
}
