using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Layers;

/// <summary>
/// bfloat16 mixed-precision training without autocast (TorchSharp 0.107 has none): while a scope from
/// <see cref="Enter"/> is open on this flow of execution, <see cref="GuardedConvolution"/> runs every convolution in
/// bfloat16 on float32 tensors. The float32 weight (the master copy) and the input are cast to bfloat16 inside the
/// autograd graph, so the weight's gradient arrives in float32; the output is cast back to float32, so BatchNorm (and
/// its running statistics), corner pooling and the losses stay float32, as do the optimizer's moments. The heads
/// (<c>CornerNetModel</c>) run their convolutions in float32 (<see cref="Suspend"/>): with them in bfloat16 a
/// quick-start-sized run lost 0.04–0.09 AP against fp32 (docs/BF16-TRAINING.md).
/// </summary>
internal static class MixedPrecision
{
    static readonly AsyncLocal<bool> Entered = new();

    /// <summary>Whether convolutions run in bfloat16 on this flow of execution.</summary>
    internal static bool Active => Entered.Value;

    /// <summary>Convolutions run in bfloat16 until the result is disposed.</summary>
    internal static IDisposable Enter() => Set(true);

    /// <summary>Convolutions run in float32 until the result is disposed (inside an <see cref="Enter"/>
    /// scope).</summary>
    internal static IDisposable Suspend() => Set(false);

    static Scope Set(bool active)
    {
        bool previous = Entered.Value;
        Entered.Value = active;
        return new Scope(previous);
    }

    sealed class Scope(bool previous) : IDisposable
    {
        public void Dispose() => Entered.Value = previous;
    }

    /// <summary><paramref name="conv"/> on the float32 <paramref name="input"/>, computed in bfloat16, returned in
    /// float32.</summary>
    internal static Tensor ConvolutionForward(Conv2d conv, Tensor input)
    {
        // Differentiable casts: autograd converts the bfloat16 gradients back to float32 for the input and the master
        // weight.
        using var x = input.to(ScalarType.BFloat16);
        using var weight = conv.weight!.to(ScalarType.BFloat16);
        using var bias = conv.bias?.to(ScalarType.BFloat16);
        using var y = nn.functional.conv2d(x, weight, bias, strides: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups);
        return y.to(ScalarType.Float32);
    }
}
