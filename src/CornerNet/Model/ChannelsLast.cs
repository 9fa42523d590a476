using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Channels-last (NHWC) memory layout for convolutions: TorchSharp has no <c>memory_format</c> argument, so the layout
/// is made by permuting to N×H×W×C, copying, and permuting back — a tensor with channels-last strides, which libtorch
/// recognises. Measured as a variant of the forward benchmark.
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

    /// <summary>Puts every convolution weight of <paramref name="model"/> in channels-last layout (inference
    /// only).</summary>
    public static void Apply(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = no_grad();
        foreach (var conv in model.modules().OfType<Conv2d>())
            conv.weight = new Parameter(Of(conv.weight!), requires_grad: false);
    }
}
