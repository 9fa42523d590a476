using static TorchSharp.torch;

namespace CornerNet.Layers;

/// <summary>
/// A convolution whose channel widths above 16 and not multiples of 16 are zero-padded up to the next multiple of 16
/// (input channels of the input and weight, output channels of the weight and bias) and whose extra output channels are
/// cut off again: the padded channels add exact zeros, so the result equals the plain convolution, but oneDNN runs
/// only the kernels that are right on every host measured (see <see cref="GuardedConvolution"/>). Differentiable: the
/// gradients of input, weight and bias are the padded ones cut back.
/// </summary>
internal static class ChannelPaddedConvolution
{
    /// <summary>The width oneDNN runs for <paramref name="width"/>: unchanged when at most 16 or a multiple of 16, else
    /// the next multiple of 16.</summary>
    public static long PaddedWidth(long width) => width <= 16 || width % 16 == 0 ? width : (width + 15) / 16 * 16;

    /// <summary>Whether padding changes a convolution with this <paramref name="weight"/> ([out, in, k, k]).</summary>
    public static bool Changes(Tensor weight) => PaddedWidth(weight.shape[0]) != weight.shape[0] || PaddedWidth(weight.shape[1]) != weight.shape[1];

    /// <summary><c>conv2d(input, weight, bias, stride, padding)</c>, channel-padded where a width needs it.</summary>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, long stride, long padding)
    {
        long outWidth = weight.shape[0], inWidth = weight.shape[1];
        long extraOut = PaddedWidth(outWidth) - outWidth, extraIn = PaddedWidth(inWidth) - inWidth;
        if (extraOut == 0 && extraIn == 0) return nn.functional.conv2d(input, weight, bias, strides: [stride, stride], padding: [padding, padding]);
        using var scope = NewDisposeScope();
        // pad lists pairs from the last dimension backwards: width, height, channels (, output channels).
        var paddedInput = extraIn == 0 ? input : nn.functional.pad(input, [0, 0, 0, 0, 0, extraIn]);
        var paddedWeight = nn.functional.pad(weight, [0, 0, 0, 0, 0, extraIn, 0, extraOut]);
        var paddedBias = bias is null || extraOut == 0 ? bias : nn.functional.pad(bias, [0, extraOut]);
        var output = nn.functional.conv2d(paddedInput, paddedWeight, paddedBias, strides: [stride, stride], padding: [padding, padding]);
        return (extraOut == 0 ? output : output.narrow(1, 0, outWidth)).MoveToOuterDisposeScope();
    }
}
