namespace CornerNet.Inference;

/// <summary>Names shared by <c>OnnxExporter</c> (Onnx/) and <see cref="OnnxRuntimeNetwork"/>: the graph input and the
/// metadata keys.</summary>
internal static class OnnxMetadata
{
    /// <summary>The graph input: the normalized N×3×H×W float32 batch.</summary>
    public const string InputName = "image";

    /// <summary>The six graph outputs, in the order of <c>cornernet forward</c>.</summary>
    public static IReadOnlyList<string> OutputNames { get; } = ["tl_heats", "br_heats", "tl_tags", "br_tags", "tl_regrs", "br_regrs"];

    /// <summary>Metadata key of the model config (<see cref="Model.CornerNetConfig"/> as JSON).</summary>
    public const string ConfigKey = "cornernet.config";

    /// <summary>Metadata key of the class list (JSON list of {id, name}).</summary>
    public const string ClassesKey = "cornernet.classes";

    /// <summary>Metadata key of the export format version.</summary>
    public const string FormatVersionKey = "cornernet.format_version";

    /// <summary>Metadata key of the largest input side the graph's corner pooling covers.</summary>
    public const string MaxInputSideKey = "cornernet.max_input_side";

    /// <summary>Metadata key of an int8 model's quantization settings (JSON; absent in float models).</summary>
    public const string QuantizationKey = "cornernet.quantization";

    /// <summary>The export format version this code writes and reads.</summary>
    public const string FormatVersion = "1";
}
