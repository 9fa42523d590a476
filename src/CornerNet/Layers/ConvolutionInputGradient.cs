using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Layers;

/// <summary>
/// Autograd step that hands a convolution's input gradient to libtorch computed with FORWARD convolutions: the
/// output gradient correlated with the spatially flipped, in/out-transposed kernel (for strided convolutions one small
/// correlation per phase of the stride). In the forward direction it passes the already computed convolution
/// output through unchanged; the output gradient goes on to that convolution's own backward, which then computes only
/// the weight gradient. See <see cref="GuardedConvolution"/> for why.
/// Its correlations run channel-padded when the forward kernel is faulty too (<see cref="ChannelPaddedConvolution"/>).
/// Depthwise convolutions (groups = channels, weight C × 1 × k × k) correlate each channel with its own flipped kernel.
/// Arguments of <c>apply</c>: output, input, weight, stride, padding, whether to pad channels, groups (1 or the channel
/// count).
/// </summary>
internal sealed class ConvolutionInputGradient : autograd.SingleTensorFunction<ConvolutionInputGradient>
{
    const string StrideKey = "stride", PaddingKey = "padding", PaddedKey = "padded", GroupsKey = "groups", HeightKey = "height", WidthKey = "width";

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
        ctx.save_data(PaddedKey, vars[5]);
        ctx.save_data(GroupsKey, vars[6]);
        ctx.save_data(HeightKey, input.shape[2]);
        ctx.save_data(WidthKey, input.shape[3]);
        return output;
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var weight = ctx.get_saved_variables()[0];
        long stride = (long)ctx.get_data(StrideKey), padding = (long)ctx.get_data(PaddingKey);
        long height = (long)ctx.get_data(HeightKey), width = (long)ctx.get_data(WidthKey), groups = (long)ctx.get_data(GroupsKey);
        bool padded = (bool)ctx.get_data(PaddedKey);
        var gradInput = stride == 1 ? FullCorrelation(gradOutput, weight, padding, padded, groups) : PhaseCorrelation(gradOutput, weight, stride, padding, groups, height, width, padded);
        // Held by the node (in an array: the context stores plain objects) until the graph is released: libtorch reads
        // the returned handles after this method returns, and an unreferenced wrapper could be finalized in between.
        ctx.save_data(nameof(gradInput), new[] { gradOutput, gradInput });
        return [gradOutput, gradInput, null!, null!, null!, null!, null!];
    }

    /// <summary>Stride 1: the output gradient correlated with the flipped, in/out-transposed kernel, padded by k − 1 −
    /// p.</summary>
    static Tensor FullCorrelation(Tensor gradOutput, Tensor weight, long padding, bool padded, long groups)
    {
        long kernel = weight.shape[2];
        using var flipped = weight.flip(2, 3);
        using var transposed = groups == 1 ? flipped.transpose(0, 1) : flipped.alias();
        using var kernelT = transposed.contiguous();
        return Correlate(gradOutput, kernelT, kernel - 1 - padding, padded, groups);
    }

    /// <summary>
    /// Stride s &gt; 1: input rows (columns) r = s·i + a for each phase a are reached only by the kernel taps ky with
    /// ky ≡ a + p (mod s), from output row i + (a + p − ky)/s. So each of the s² phases is one small correlation of the
    /// output gradient with those taps — the work of the backward pass itself, where zero-dilating the gradient would
    /// cost s² times as much.
    /// </summary>
    static Tensor PhaseCorrelation(Tensor gradOutput, Tensor weight, long stride, long padding, long groups, long height, long width, bool padded)
    {
        long kernel = weight.shape[2];
        long inChannels = groups == 1 ? weight.shape[1] : weight.shape[0];
        var gradInput = zeros(gradOutput.shape[0], inChannels, height, width, gradOutput.dtype, gradOutput.device);
        var columnPhases = new PhaseTaps[stride];
        for (long columnPhase = 0; columnPhase < stride; columnPhase++)
            columnPhases[columnPhase] = PhaseTaps.For(columnPhase, stride, padding, kernel, width);
        for (long rowPhase = 0; rowPhase < stride; rowPhase++)
        {
            var rows = PhaseTaps.For(rowPhase, stride, padding, kernel, height);
            if (rows.IsEmpty) continue;
            using var rowIndex = tensor(rows.Taps);
            using var rowTaps = weight.index_select(2, rowIndex);
            for (long columnPhase = 0; columnPhase < stride; columnPhase++)
            {
                var columns = columnPhases[columnPhase];
                if (columns.IsEmpty) continue;
                using var columnIndex = tensor(columns.Taps);
                using var taps = rowTaps.index_select(3, columnIndex);
                using var tapsT = groups == 1 ? taps.transpose(0, 1) : taps.alias();
                using var kernelT = tapsT.contiguous();
                using var window = Window(gradOutput, rows, columns);
                using var phase = Correlate(window, kernelT, 0, padded, groups);
                using var slots = gradInput[TensorIndex.Colon, TensorIndex.Colon,
                    TensorIndex.Slice(rowPhase, null, stride), TensorIndex.Slice(columnPhase, null, stride)];
                slots.copy_(phase);
            }
        }
        return gradInput;
    }

    static Tensor Correlate(Tensor input, Tensor kernel, long padding, bool padded, long groups) => padded && groups == 1
        ? ChannelPaddedConvolution.Forward(input, kernel, null, 1, padding)
        : nn.functional.conv2d(input, kernel, padding: [padding, padding], groups: groups);

    /// <summary>The output-gradient rows/columns one phase reads, zero outside the output.</summary>
    static Tensor Window(Tensor gradOutput, PhaseTaps rows, PhaseTaps columns)
    {
        long outHeight = gradOutput.shape[2], outWidth = gradOutput.shape[3];
        long rowLength = rows.Count + rows.Taps.Length - 1, columnLength = columns.Count + columns.Taps.Length - 1;
        long top = Math.Max(0, -rows.FirstOffset), bottom = Math.Max(0, rows.FirstOffset + rowLength - outHeight);
        long left = Math.Max(0, -columns.FirstOffset), right = Math.Max(0, columns.FirstOffset + columnLength - outWidth);
        using var padded = nn.functional.pad(gradOutput, [left, right, top, bottom]);
        using var rowsCut = padded.narrow(2, rows.FirstOffset + top, rowLength);
        return rowsCut.narrow(3, columns.FirstOffset + left, columnLength);
    }

    /// <summary>
    /// For one phase a along one axis: the kernel taps that reach input positions s·i + a, ordered by the output offset
    /// they read (ascending, so taps descend), the first such offset, and how many input positions the phase has.
    /// </summary>
    readonly record struct PhaseTaps(long[] Taps, long FirstOffset, long Count)
    {
        /// <summary>No kernel tap or no input position in this phase: its gradient stays zero.</summary>
        public bool IsEmpty => Taps.Length == 0 || Count == 0;

        public static PhaseTaps For(long phase, long stride, long padding, long kernel, long inputLength)
        {
            var taps = new List<long>();
            for (long tap = kernel - 1; tap >= 0; tap--)
                if (((phase + padding - tap) % stride + stride) % stride == 0) taps.Add(tap);
            long firstOffset = taps.Count == 0 ? 0 : (phase + padding - taps[0]) / stride;
            return new PhaseTaps([.. taps], firstOffset, (inputLength - phase + stride - 1) / stride);
        }
    }
}
