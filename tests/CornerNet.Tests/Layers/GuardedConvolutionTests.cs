using CornerNet.Layers;
using CornerNet.Model;
using CornerNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Layers;

public class GuardedConvolutionTests
{
    /// <summary>Every combination of the two paths, forced so that the fallbacks are tested on a host whose oneDNN is right.</summary>
    internal static IEnumerable<ConvolutionPaths> AllPaths() =>
        from padded in new[] { false, true }
        from byForward in new[] { false, true }
        select new ConvolutionPaths(padded, byForward, null, "test");

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
    [InlineData(24, 40, 3, 1, 16, 2)]
    [InlineData(40, 56, 3, 2, 17, 2)]
    [InlineData(56, 24, 3, 1, 12, 1)]
    [InlineData(24, 56, 1, 2, 15, 1)]
    public void GradientsAgreeWithFloat64OnEveryPath(int inChannels, int outChannels, int kernel, int stride, int size, int batch)
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

        var output64 = reference.forward(x64.detach());
        foreach (var paths in AllPaths())
        {
            using var forced = ConvolutionPaths.Force(paths);
            if (Faulty(paths, inChannels, outChannels, kernel)) continue;
            for (int call = 1; call <= 2; call++)
            {
                conv.zero_grad();
                var x = input.detach().clone().requires_grad_(true);
                var output = GuardedConvolution.Forward(conv, x);
                output.backward([outputGrad]);
                string where = $"{paths.Describe()}, call {call}";
                Assert.True(Relative(output, output64) < 1e-5, $"{where}: output off by {Relative(output, output64)}");
                Assert.True(Relative(x.grad!, x64.grad!) < 1e-5, $"{where}: input gradient off by {Relative(x.grad!, x64.grad!)}");
                Assert.True(Relative(conv.weight!.grad!, reference.weight!.grad!) < 1e-5, $"{where}: weight gradient off");
                Assert.True(Relative(conv.bias!.grad!, reference.bias!.grad!) < 1e-5, $"{where}: bias gradient off");
            }
        }
    }

    /// <summary>
    /// Whether a forced plain path would meet a kernel this host's probe found wrong (then there is nothing exact to
    /// check): the fallbacks are always checked, the plain kernels only where this host runs them correctly.
    /// </summary>
    static readonly Lazy<OneDnnProbeResult> HostProbe = new(OneDnnProbe.Run);

    static bool Faulty(ConvolutionPaths paths, long inChannels, long outChannels, int kernel)
    {
        var probe = HostProbe.Value;
        bool unsafeWidths = ChannelPaddedConvolution.PaddedWidth(inChannels) != inChannels || ChannelPaddedConvolution.PaddedWidth(outChannels) != outChannels;
        return (!paths.PaddedForward && !probe.ForwardCorrect && unsafeWidths && kernel > 1)
            || (!paths.InputGradientByForward && !probe.InputGradientCorrect && kernel > 1);
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

        foreach (var paths in AllPaths())
        {
            using var forced = ConvolutionPaths.Force(paths);
            if (Faulty(paths, 1, 1, 3)) continue;
            conv.zero_grad();
            var x = input.detach().clone().requires_grad_(true);
            var output = GuardedConvolution.Forward(conv, x);
            Assert.True(output.detach().Equals(conv.forward(input)), $"{paths.Describe()}: guarded values differ from the plain depthwise convolution");
            output.backward([outputGrad]);
            Assert.True(Relative(x.grad!, x64.grad!) < 1e-5, $"{paths.Describe()}: input gradient off by {Relative(x.grad!, x64.grad!)}");
            Assert.True(Relative(conv.weight!.grad!, reference.weight!.grad!) < 1e-5, $"{paths.Describe()}: weight gradient off");
        }
    }

    [Fact]
    public void ValuesEqualThePlainConvolution()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var conv = nn.Conv2d(16, 32, 3, stride: 2, padding: 1, bias: false);
        var x = randn(2, 16, 20, 20).requires_grad_(true);
        using var forced = ConvolutionPaths.Force(new ConvolutionPaths(false, true, null, "test"));
        var guarded = GuardedConvolution.Forward(conv, x);
        var plain = conv.forward(x);
        Assert.True(guarded.Equals(plain));
        Assert.True(guarded.requires_grad);
    }

    [Fact]
    public void DilatedConvolutionIsRefusedWhenAFallbackWouldApply()
    {
        using var scope = NewDisposeScope();
        using var forced = ConvolutionPaths.Force(new ConvolutionPaths(true, true, null, "test"));
        var conv = nn.Conv2d(8, 8, 3, padding: 2, dilation: 2, bias: false);
        var x = randn(1, 8, 10, 10).requires_grad_(true);
        Assert.Throws<ArgumentException>(() => GuardedConvolution.Forward(conv, x));
        using (no_grad()) Assert.Equal(conv.forward(x).shape, GuardedConvolution.Forward(conv, x).shape);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(16, 16)]
    [InlineData(17, 32)]
    [InlineData(24, 32)]
    [InlineData(40, 48)]
    [InlineData(48, 48)]
    [InlineData(56, 64)]
    [InlineData(512, 512)]
    public void PaddedWidthIsTheWidthOrTheNextMultipleOf16(int width, int padded) =>
        Assert.Equal(padded, ChannelPaddedConvolution.PaddedWidth(width));

    [Fact]
    public void PaddedForwardWithoutGradientEqualsThePlainConvolution()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var conv = nn.Conv2d(40, 24, 3, stride: 1, padding: 1, bias: true);
        var x = randn(1, 40, 13, 13);
        using var forced = ConvolutionPaths.Force(new ConvolutionPaths(true, false, null, "test"));
        using var noGrad = no_grad();
        var padded = GuardedConvolution.Forward(conv, x);
        var reference = nn.functional.conv2d(x.to(float64), conv.weight!.to(float64), conv.bias!.to(float64), padding: [1, 1]);
        Assert.Equal(new long[] { 1, 24, 13, 13 }, padded.shape);
        Assert.True(Relative(padded, reference) < 1e-6, $"off by {Relative(padded, reference)}");
    }

    static double Relative(Tensor actual, Tensor expected) =>
        (actual.to(float64) - expected).norm().item<double>() / expected.norm().item<double>();
}
