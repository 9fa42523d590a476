using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Inference-time folding of an eval-mode BatchNorm into the convolution before it: with
/// s = γ / √(running_var + ε), the pair conv→BN equals one convolution with weight W·s (per output channel) and bias
/// (b − running_mean)·s + β, exact up to float rounding. <see cref="CornerNetModel.FoldBatchNorm"/> applies it to the
/// whole network.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>
    /// Rewrites <paramref name="conv"/> in place so that it alone computes <c>bn(conv(x))</c> with
    /// <paramref name="bn"/>'s running statistics; the convolution gets a bias if it had none. <paramref name="bn"/> is
    /// left unchanged and must no longer be applied. When the BatchNorm normalizes a concatenation of several
    /// convolutions' outputs (a <see cref="FireModule"/>), <paramref name="firstChannel"/> is where this convolution's
    /// channels start in it.
    /// </summary>
    public static void Fold(Conv2d conv, BatchNorm2dModule bn, long firstChannel = 0)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(bn);
        using var _ = no_grad();
        Tensor foldedBias;
        using (NewDisposeScope())
        {
            long channels = conv.weight!.shape[0];
            if (firstChannel < 0 || firstChannel + channels > bn.weight.shape[0])
                throw new ArgumentOutOfRangeException(nameof(firstChannel), firstChannel, $"channels {firstChannel}..{firstChannel + channels} are not all in the BatchNorm's {bn.weight.shape[0]}");
            Tensor Slice(Tensor t) => t.narrow(0, firstChannel, channels);
            var mean = Slice(bn.running_mean ?? throw new InvalidOperationException("BatchNorm without running statistics cannot be folded"));
            var variance = Slice(bn.running_var!);
            // Fold in float64 so that the folded parameters carry no more rounding than one float32 conversion.
            using var eps = bn.eps.ToScalar();
            var scale = variance.to_type(ScalarType.Float64).add(eps, KeptScalars.One).rsqrt();
            if (bn.weight is not null) scale = scale.mul(Slice(bn.weight).to_type(ScalarType.Float64));
            var shift = bn.bias is not null ? Slice(bn.bias).to_type(ScalarType.Float64) : zeros_like(scale);
            var oldBias = conv.bias is not null ? conv.bias.to_type(ScalarType.Float64) : zeros_like(scale);
            var bias = oldBias.sub(mean.to_type(ScalarType.Float64)).mul(scale).add(shift, KeptScalars.One);
            var weight = conv.weight!;
            weight.copy_(weight.to_type(ScalarType.Float64).mul(scale.view(-1, 1, 1, 1)));
            foldedBias = bias.to_type(weight.dtype).MoveToOuterDisposeScope();
        }
        // The parameter takes over the tensor's native handle; it is created outside the scope so the scope cannot
        // dispose it.
        conv.bias = new Parameter(foldedBias, requires_grad: false);
    }
}
