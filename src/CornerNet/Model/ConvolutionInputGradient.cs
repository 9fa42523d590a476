using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Autograd step that hands a convolution's input gradient to libtorch computed with a FORWARD convolution: the
/// output gradient (zero-dilated by the stride, padded so the result has the input's size) convolved with the
/// spatially flipped, in/out-transposed kernel. In the forward direction it passes the already computed convolution
/// output through unchanged; the output gradient goes on to that convolution's own backward, which then computes only
/// the weight gradient. See <see cref="GuardedConvolution"/> for why.
/// Arguments of <c>apply</c>: output, input, weight, stride, padding.
/// </summary>
internal sealed class ConvolutionInputGradient : autograd.SingleTensorFunction<ConvolutionInputGradient>
{
    const string StrideKey = "stride", PaddingKey = "padding", HeightKey = "height", WidthKey = "width";

    /// <inheritdoc/>
    public override string Name => nameof(ConvolutionInputGradient);

    /// <inheritdoc/>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var output = (Tensor)vars[0];
        var input = (Tensor)vars[1];
        ctx.save_for_backward([(Tensor)vars[2]]);
        ctx.save_data(StrideKey, vars[3]);
        ctx.save_data(PaddingKey, vars[4]);
        ctx.save_data(HeightKey, input.shape[2]);
        ctx.save_data(WidthKey, input.shape[3]);
        return output;
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var weight = ctx.get_saved_variables()[0];
        long stride = (long)ctx.get_data(StrideKey), padding = (long)ctx.get_data(PaddingKey);
        long height = (long)ctx.get_data(HeightKey), width = (long)ctx.get_data(WidthKey);
        long kernel = weight.shape[2];
        long outHeight = gradOutput.shape[2], outWidth = gradOutput.shape[3];
        // Input rows/columns past the last full window still receive gradient from it (PyTorch's output_padding).
        long extraRows = height - ((outHeight - 1) * stride - 2 * padding + kernel);
        long extraColumns = width - ((outWidth - 1) * stride - 2 * padding + kernel);

        using var flipped = weight.flip(2, 3);
        using var transposed = flipped.transpose(0, 1);
        using var kernelT = transposed.contiguous();
        Tensor spread = gradOutput;
        if (stride > 1 || extraRows > 0 || extraColumns > 0)
        {
            spread = zeros(gradOutput.shape[0], gradOutput.shape[1], (outHeight - 1) * stride + 1 + extraRows,
                (outWidth - 1) * stride + 1 + extraColumns, gradOutput.dtype, gradOutput.device);
            using var slots = spread[TensorIndex.Colon, TensorIndex.Colon,
                TensorIndex.Slice(null, (outHeight - 1) * stride + 1, stride), TensorIndex.Slice(null, (outWidth - 1) * stride + 1, stride)];
            slots.copy_(gradOutput);
        }
        try
        {
            var gradInput = nn.functional.conv2d(spread, kernelT, padding: [kernel - 1 - padding, kernel - 1 - padding]);
            // Held by the node (in an array: the context stores plain objects) until the graph is released: libtorch reads
            // the returned handles after this method returns, and an unreferenced wrapper could be finalized in between.
            ctx.save_data(nameof(gradInput), new[] { gradOutput, gradInput });
            return [gradOutput, gradInput, null!, null!, null!];
        }
        finally
        {
            if (!ReferenceEquals(spread, gradOutput)) spread.Dispose();
        }
    }
}
