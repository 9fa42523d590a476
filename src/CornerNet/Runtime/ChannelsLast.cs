using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Runtime;

/// <summary>
/// Channels-last (NHWC) memory layout for convolutions: TorchSharp has no <c>memory_format</c> argument, so the layout
/// is made by permuting to N×H×W×C, copying, and permuting back — a tensor with channels-last strides, which libtorch
/// recognises. Used for inference where it measures faster (<c>LayoutProbe</c>; README, "Memory layout").
/// </summary>
internal static class ChannelsLast
{
    /// <summary>A channels-last copy of a 4-D tensor.</summary>
    public static Tensor Of(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var nhwc = x.permute(0, 2, 3, 1);
        using var packed = nhwc.contiguous();
        return packed.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// Puts every convolution weight of <paramref name="model"/> in channels-last layout, or back in NCHW with
    /// <paramref name="channelsLast"/> false. The weights are new parameters, without gradients unless
    /// <paramref name="trainable"/>: an optimizer must be made after this call.
    /// </summary>
    public static void Apply(nn.Module model, bool channelsLast = true, bool trainable = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = no_grad();
        foreach (var conv in model.modules().OfType<Conv2d>())
            if (IsChannelsLast(conv.weight!) != channelsLast)
            {
                // A clone, not Of's permuted view: autograd forbids in-place updates of a view made without grad.
                using var laidOut = channelsLast ? Of(conv.weight!) : conv.weight!.contiguous();
                conv.weight = new Parameter(laidOut.clone(), requires_grad: trainable);
            }
    }

    /// <summary>Whether a 4-D tensor with more than one channel is laid out channels-last.</summary>
    public static bool IsChannelsLast(Tensor x) => x.dim() == 4 && x.shape[1] > 1 && x.stride(1) == 1 && !x.is_contiguous();
}
