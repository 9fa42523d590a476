namespace CornerNet.Inference;

/// <summary>The number format the network runs in (<see cref="DetectionOptions.Precision"/>); decoding and everything
/// after it stay float32.</summary>
public enum Precision
{
    /// <summary>float32 throughout (the default; the parity tests' precision).</summary>
    Fp32,
    /// <summary>The network (every convolution and corner pool) in bfloat16; its heads are converted to float32 right
    /// after it.</summary>
    Bf16,
    /// <summary>bfloat16 where this CPU runs it natively and measurably faster, else float32
    /// (<see cref="AutoPrecision"/>).</summary>
    Auto,
}
