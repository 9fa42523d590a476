namespace CornerNet.Quantization;

/// <summary>
/// The integer range of int8 convolution weights. Without VNNI, ONNX Runtime's u8×s8 kernels add pairs of products in
/// saturating 16-bit sums (<c>vpmaddubsw</c>): 255 × 127 × 2 overflows, 255 × 63 × 2 does not. So the range a model
/// needs depends on the CPU it runs on (<see cref="QuantizationOptions.WeightRange"/>).
/// </summary>
public enum WeightRange
{
    /// <summary><see cref="Reduced"/> on a CPU without avx512_vnni, avx_vnni or AMX, else <see cref="Full"/>.</summary>
    Auto,

    /// <summary>[-127, 127]: exact on CPUs with integer dot-product instructions (VNNI, AMX).</summary>
    Full,

    /// <summary>7-bit weights, [-63, 63] (within [-64, 63]): no 16-bit overflow on AVX2-only CPUs.</summary>
    Reduced,
}
