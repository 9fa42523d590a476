using CornerNet.Inference;
using CornerNet.Runtime;

namespace CornerNet.Quantization;

/// <summary>
/// Which <see cref="WeightRange"/> <see cref="WeightRange.Auto"/> means on a CPU, and why: reduced where ONNX
/// Runtime's int8 kernels add products in saturating 16-bit sums (no VNNI/AMX), full elsewhere. Read from the CPU
/// flags, no measurement: the overflow is arithmetic, not a speed question.
/// </summary>
/// <param name="Chosen"><see cref="WeightRange.Full"/> or <see cref="WeightRange.Reduced"/>.</param>
/// <param name="Reason">Why, on one line.</param>
internal sealed record AutoWeightRange(WeightRange Chosen, string Reason)
{
    /// <summary>The range <paramref name="requested"/> resolves to on this host.</summary>
    public static AutoWeightRange For(WeightRange requested) => Resolve(requested, CpuIdentity.Current.Flags);

    /// <summary>The range <paramref name="requested"/> resolves to on a CPU with <paramref name="flags"/>
    /// (<c>/proc/cpuinfo</c> flags).</summary>
    internal static AutoWeightRange Resolve(WeightRange requested, string flags)
    {
        if (requested != WeightRange.Auto) return new AutoWeightRange(requested, "as requested");
        return OnnxRuntimeNetwork.HasInt8DotProduct(flags)
            ? new AutoWeightRange(WeightRange.Full, "auto: this CPU has VNNI/AMX int8 dot products")
            : new AutoWeightRange(WeightRange.Reduced,
                "auto: this CPU lacks avx512_vnni, avx_vnni and AMX; full-range weights would saturate 16-bit sums");
    }

    /// <summary>Largest weight magnitude of a range (symmetric quantization).</summary>
    internal static int Limit(WeightRange range) => range switch
    {
        WeightRange.Full => 127,
        WeightRange.Reduced => 63,
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, "resolve Auto first"),
    };

    /// <summary>The name the metadata and the CLI use.</summary>
    internal static string Name(WeightRange range) => range.ToString().ToLowerInvariant();
}
