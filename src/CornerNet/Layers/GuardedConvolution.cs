using CornerNet.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Layers;

/// <summary>Runs the network's convolutions so that faulty oneDNN kernels are never used (measurements:
/// docs/NATIVE.md).</summary>
internal static class GuardedConvolution
{
    /// <summary>
    /// <paramref name="conv"/> applied to <paramref name="input"/> by the paths in force
    /// (<see cref="ConvolutionPaths.Active"/>). Values equal <c>conv.forward(input)</c> up to float rounding. A
    /// fallback supports the network's convolutions: square kernels, equal strides and paddings, no dilation, no groups
    /// or depthwise (groups = input = output channels), zero padding (others throw <see cref="ArgumentException"/> when
    /// a fallback would apply). Depthwise convolutions are never channel-padded: the faults were measured in dense
    /// kernels only.
    /// </summary>
    public static Tensor Forward(Conv2d conv, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(input);
        // bf16 training takes libtorch's plain path on purpose: the oneDNN probe (#14) validated float32 kernels only,
        // and the exact fallbacks are float32 constructions (see MixedPrecision).
        if (MixedPrecision.Active && input.dtype == ScalarType.Float32) return MixedPrecision.ConvolutionForward(conv, input);
        var paths = ConvolutionPaths.Active;
        bool padded = paths.PaddedForward && conv.groups == 1 && ChannelPaddedConvolution.Changes(conv.weight!);
        bool gradientByForward = paths.InputGradientByForward && input.requires_grad && is_grad_enabled();
        if (!padded && !gradientByForward) return conv.forward(input);
        if (!IsSupported(conv))
            throw new ArgumentException("guarded convolutions need square kernels, equal strides and paddings, no dilation, no groups or depthwise groups, zero padding", nameof(conv));
        long stride = conv.stride![0], padding = conv.padding![0];
        if (!gradientByForward) return ChannelPaddedConvolution.Forward(input, conv.weight!, conv.bias, stride, padding);
        using var detached = input.detach();
        using var output = padded ? ChannelPaddedConvolution.Forward(detached, conv.weight!, conv.bias, stride, padding) : conv.forward(detached);
        return ConvolutionInputGradient.apply(output, input, conv.weight!, stride, padding, paths.PaddedForward, conv.groups);
    }

    static bool IsSupported(Conv2d conv) =>
        conv.kernel_size![0] == conv.kernel_size[1] && conv.stride![0] == conv.stride[1] && conv.padding![0] == conv.padding[1]
        && conv.dilation!.All(d => d == 1) && (conv.groups == 1 || conv.groups == conv.in_channels && conv.groups == conv.out_channels) && conv.padding_mode == PaddingModes.Zeros && conv.padding_type is null;
}
