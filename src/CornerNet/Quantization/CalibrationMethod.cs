namespace CornerNet.Quantization;

/// <summary>How an activation's quantization range is chosen from what calibration observed.</summary>
public enum CalibrationMethod
{
    /// <summary>The observed minimum and maximum: nothing clips, outliers widen the step for everything else.</summary>
    MinMax,
    /// <summary>|x| clipped at a percentile of the observed absolute values (default 99.999 %).</summary>
    Percentile,
    /// <summary>|x| clipped where the quantized distribution is closest to the observed one (KL divergence, as
    /// TensorRT).</summary>
    Entropy,
}

/// <summary>The activation integer type of a quantized model.</summary>
public enum ActivationType
{
    /// <summary>uint8 activations (asymmetric; zero point 0 after ReLU).</summary>
    Uint8,
    /// <summary>int8 activations (asymmetric; zero point −128 after ReLU).</summary>
    Int8,
}
