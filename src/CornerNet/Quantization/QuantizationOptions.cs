using CornerNet.Inference;

namespace CornerNet.Quantization;

/// <summary>How <see cref="OnnxQuantizer"/> calibrates and quantizes a model.</summary>
public sealed record QuantizationOptions
{
    /// <summary>How activation ranges are chosen from the calibration data.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>The percentile of <see cref="CalibrationMethod.Percentile"/> (0–100].</summary>
    public double Percentile { get; init; } = ActivationStatistics.DefaultPercentile;

    /// <summary>int8 weights with one scale per output channel (default) instead of one per layer.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Integer range of the weights; <see cref="WeightRange.Auto"/> (default): reduced on CPUs without
    /// VNNI/AMX, full elsewhere. The model is then meant for CPUs of that kind (recorded in its metadata).</summary>
    public WeightRange WeightRange { get; init; } = WeightRange.Auto;

    /// <summary>Activation type; null: whichever <see cref="AutoActivationType"/> measures faster on this
    /// host.</summary>
    public ActivationType? Activations { get; init; }

    /// <summary>
    /// Convolutions kept in float: <c>first</c> (reading the image), <c>heads</c> (writing the six outputs) or
    /// layer-name prefixes as in the model file (e.g. <c>kps.0.low2</c>, <c>tl_cnvs</c>). Default: the heads, whose
    /// outputs (heat logits, tags, offsets) lose most from 8 bits at next to no cost in time (see README for the
    /// measurement).
    /// </summary>
    public IReadOnlyList<string> KeepFloat { get; init; } = ["heads"];

    /// <summary>The test procedure calibration runs (its per-image sizes and flip batch); default single scale with
    /// flip.</summary>
    public DetectionOptions Test { get; init; } = new() { Flip = true };

    /// <summary>ONNX Runtime threads (0: one per processor).</summary>
    public int Threads { get; init; }

    /// <summary>Largest input side of the graph exported from a .safetensors model (as <c>export
    /// --max-size</c>).</summary>
    public int MaxInputSide { get; init; } = Onnx.OnnxExportOptions.DefaultMaxInputSide;

    /// <summary>Memory the observed tensors of one calibration run may take.</summary>
    public long CalibrationMemoryBytes { get; init; } = 2L << 30;

    /// <summary>Checks the options; throws <see cref="InvalidInputException"/> naming the problem.</summary>
    public void Validate()
    {
        if (!(Percentile > 0 && Percentile <= 100)) throw new InvalidInputException(null, $"--percentile {Percentile} is not in (0, 100]");
        if (CalibrationMemoryBytes < 1 << 20) throw new InvalidInputException(null, "the calibration memory budget must be at least 1 MB");
        Test.Validate();
    }
}

/// <summary>What <c>OnnxQuantizer.Quantize</c> did.</summary>
/// <param name="Images">Calibration images run.</param>
/// <param name="QuantizedConvolutions">Convolutions now int8.</param>
/// <param name="FloatConvolutions">Convolutions kept in float (layer names).</param>
/// <param name="Activations">The activation type written.</param>
/// <param name="ActivationChoice">Why that type (measured probe figures, or "as requested").</param>
/// <param name="Bytes">Size of the written file.</param>
/// <param name="WeightRange">The weight range written (<see cref="WeightRange.Full"/> or
/// <see cref="WeightRange.Reduced"/>).</param>
/// <param name="WeightRangeChoice">Why that range ("as requested", or the CPU flags auto read).</param>
public sealed record QuantizationReport(int Images, int QuantizedConvolutions, IReadOnlyList<string> FloatConvolutions,
    ActivationType Activations, string ActivationChoice, long Bytes, WeightRange WeightRange, string WeightRangeChoice);
