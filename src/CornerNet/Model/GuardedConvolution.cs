using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Runs the network's convolutions so that oneDNN's faulty AVX-512 kernels are never used. Measured on this project's
/// machines (AMD EPYC with AVX-512, libtorch 2.10 / oneDNN 3.x, float32; grids of shapes against float64):
/// <list type="bullet">
/// <item>backward-data (the input gradient) is wrong — errors of 4–66 % or NaN — for k×k kernels (k &gt; 1) whose output
/// width is not a multiple of 16, and for some strided shapes whose widths are (48→64, 3×3, stride 2, batch 2 at
/// 16×16);</item>
/// <item>forward is wrong for k×k kernels whose input width is above 16 and not a multiple of 16 (17, 20, 24, 40, …);</item>
/// <item>forward with widths ≤ 16 or multiples of 16, and backward-weights, were right in every shape tried.</item>
/// </list>
/// So the input gradient is computed by a forward convolution (<see cref="ConvolutionInputGradient"/>) instead of
/// oneDNN's backward-data kernel, and <see cref="CornerNetConfig.Validate"/> refuses widths the forward kernel gets
/// wrong. Capping oneDNN at AVX2 (the previous remedy) avoided the faults but made training ≈ 1.8× slower.
/// </summary>
public static class GuardedConvolution
{
    /// <summary>
    /// <paramref name="conv"/> applied to <paramref name="input"/>; when a gradient will flow back into
    /// <paramref name="input"/>, that gradient is computed with a forward convolution. Values equal
    /// <c>conv.forward(input)</c>. Supports the network's convolutions: square kernels, equal strides and paddings,
    /// no dilation, no groups or depthwise (groups = input = output channels), zero padding (others throw
    /// <see cref="ArgumentException"/>).
    /// </summary>
    public static Tensor Forward(Conv2d conv, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(input);
        if (!input.requires_grad || !is_grad_enabled()) return conv.forward(input);
        if (!IsSupported(conv))
            throw new ArgumentException("guarded convolutions need square kernels, equal strides and paddings, no dilation, no groups or depthwise groups, zero padding", nameof(conv));
        using var detached = input.detach();
        using var output = conv.forward(detached);
        return ConvolutionInputGradient.apply(output, input, conv.weight!, conv.stride![0], conv.padding![0], conv.groups);
    }

    static bool IsSupported(Conv2d conv) =>
        conv.kernel_size![0] == conv.kernel_size[1] && conv.stride![0] == conv.stride[1] && conv.padding![0] == conv.padding[1]
        && conv.dilation!.All(d => d == 1) && (conv.groups == 1 || conv.groups == conv.in_channels && conv.groups == conv.out_channels) && conv.padding_mode == PaddingModes.Zeros && conv.padding_type is null;

    /// <summary>
    /// Whether a k×k (k &gt; 1) convolution may read or write <paramref name="width"/> channels: at most 16, or a multiple
    /// of 16 (see the class summary).
    /// </summary>
    public static bool IsSafeWidth(int width) => width <= 16 || width % 16 == 0;
}
