namespace CornerNet.Runtime;

/// <summary>The number format the network runs in, in detection (<c>DetectionOptions.Precision</c>) and training
/// (<c>TrainOptions.Precision</c>); decoding and everything after it stay float32.</summary>
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
