using CornerNet.Data;
using System.Runtime.InteropServices;
using CornerNet.Model;
using CornerNet.Runtime;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// A CornerNet model exported by <c>OnnxExporter</c> (Onnx/), run with ONNX Runtime (CPU). <see cref="Forward"/> takes
/// and returns TorchSharp tensors, so <see cref="DetectionPipeline"/> (decoding, flip and multi-scale merging,
/// soft-NMS) runs unchanged on top of it (<see cref="CreatePipeline"/>). The config and classes come from the file's
/// metadata. Not thread-safe: one instance per thread.
/// </summary>
public sealed class OnnxRuntimeNetwork : IDetectionNetwork
{
    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly long[] _inputShape;

    /// <summary>The file this network was loaded from.</summary>
    public string Path { get; }

    /// <summary>The model's configuration (from the metadata).</summary>
    public CornerNetConfig Config { get; }

    /// <summary>The model's classes; index = heatmap channel.</summary>
    public IReadOnlyList<ClassInfo> Classes { get; }

    /// <summary>True when the graph accepts any batch size and any input height and width up to
    /// <see cref="MaxInputSide"/>.</summary>
    public bool DynamicSize { get; }

    /// <summary>Largest input side the graph's corner pooling covers (the fixed size's larger side for fixed
    /// graphs).</summary>
    public int MaxInputSide { get; }

    /// <summary>The quantization settings (JSON) of an int8 model from <c>cornernet quantize</c>; null for a float
    /// model.</summary>
    public string? Quantization { get; }

    /// <summary>
    /// Why this int8 model may lose accuracy on this host, on one line, or null: its weights use the full int8 range
    /// (or predate the choice) while this CPU lacks VNNI/AMX, so ONNX Runtime's 16-bit sums saturate. Also raised,
    /// once per process and model file, through <see cref="Warning"/>.
    /// </summary>
    public string? HostWarning { get; }

    /// <summary>Raised once per process and model file with <see cref="HostWarning"/> (the CLI prints it).</summary>
    public static event Action<string>? Warning;

    static readonly HashSet<string> Warned = new();

    /// <summary>The entry of the quantization metadata naming the weight range (<c>full</c> or
    /// <c>reduced</c>).</summary>
    internal const string WeightRangeEntry = "weight_range";

    /// <summary>True when a CPU with these <c>/proc/cpuinfo</c> flags has int8 dot-product instructions (avx512_vnni,
    /// avx_vnni or AMX), with which ONNX Runtime's int8 kernels sum in 32 bits; without them, u8×s8 pairs are summed
    /// in saturating 16 bits (<c>vpmaddubsw</c>).</summary>
    internal static bool HasInt8DotProduct(string flags) =>
        flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(f => f is "avx512_vnni" or "avx_vnni" or "amx_int8" or "amx_tile");

    /// <summary>The warning for an int8 model's quantization metadata on a CPU with <paramref name="flags"/>, or
    /// null.</summary>
    internal static string? WarningFor(string? quantization, string flags)
    {
        if (quantization is null || HasInt8DotProduct(flags)) return null;
        string range = "full";
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(quantization);
            if (json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty(WeightRangeEntry, out var value)
                && value.ValueKind == System.Text.Json.JsonValueKind.String)
                range = value.GetString()!;
        }
        catch (System.Text.Json.JsonException) { }
        // Models written before the choice existed used the full range.
        return range == "reduced" ? null
            : "this int8 model has full-range weights and this CPU lacks VNNI/AMX: accuracy may suffer; re-quantize "
                + "with 'cornernet quantize --weight-range reduced' (or auto on this host)";
    }

    /// <summary>ONNX Runtime's version string.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    OnnxRuntimeNetwork(string path, InferenceSession session)
    {
        Path = path;
        _session = session;
        var metadata = session.ModelMetadata.CustomMetadataMap;
        string Get(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidInputException(path, $"ONNX model has no '{key}' metadata (export it with 'cornernet export')");
        if (Get(OnnxMetadata.FormatVersionKey) != OnnxMetadata.FormatVersion)
            throw new InvalidInputException(path, $"ONNX export format {metadata[OnnxMetadata.FormatVersionKey]} is not supported (this build reads {OnnxMetadata.FormatVersion})");
        Config = CornerNetConfig.FromJson(Get(OnnxMetadata.ConfigKey), path);
        Classes = ModelFile.ParseClasses(Get(OnnxMetadata.ClassesKey), Config, path, "class list entries in the ONNX metadata");
        if (!int.TryParse(Get(OnnxMetadata.MaxInputSideKey), out int maxSide) || maxSide < 1)
            throw new InvalidInputException(path, "max_input_side metadata is not a positive integer");
        MaxInputSide = maxSide;
        Quantization = metadata.TryGetValue(OnnxMetadata.QuantizationKey, out var quantization) ? quantization : null;
        HostWarning = WarningFor(Quantization, CpuIdentity.Current.Flags);
        if (HostWarning is not null)
        {
            bool first;
            lock (Warned) first = Warned.Add(System.IO.Path.GetFullPath(path));
            if (first) Warning?.Invoke($"{path}: {HostWarning}");
        }
        if (!session.InputMetadata.TryGetValue(OnnxMetadata.InputName, out var input) || input.Dimensions.Length != 4)
            throw new InvalidInputException(path, $"ONNX model has no 4-D input '{OnnxMetadata.InputName}'");
        _inputShape = input.Dimensions.Select(d => (long)d).ToArray();
        DynamicSize = _inputShape.Any(d => d < 0);
        foreach (var name in OnnxMetadata.OutputNames)
            if (!session.OutputMetadata.ContainsKey(name)) throw new InvalidInputException(path, $"ONNX model has no output '{name}'");
    }

    /// <summary>
    /// Loads an exported model. <paramref name="threads"/> is ONNX Runtime's intra-op thread count (0 or less: one per
    /// processor). A missing, unreadable or foreign file throws <see cref="InvalidInputException"/>.
    /// </summary>
    public static OnnxRuntimeNetwork Load(string path, int threads = 0)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new InvalidInputException(path, "ONNX model file not found");
        using var sessionOptions = CreateSessionOptions(threads);
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidInputException(path, $"not a loadable ONNX model ({e.Message.Split('\n')[0]})");
        }
        try
        {
            return new OnnxRuntimeNetwork(path, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The session options of every CornerNet graph (float or int8): <paramref name="threads"/> intra-op
    /// threads (0 or less: one per processor).</summary>
    internal static SessionOptions CreateSessionOptions(int threads)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's idle worker threads spin by default, which takes the cores from libtorch's decoding (and from
        // anything else in the process) between runs.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return sessionOptions;
    }

    /// <summary>
    /// Runs the graph on a normalized N×3×H×W float32 batch and returns the six heads as new CPU tensors (in the
    /// current dispose scope). A fixed-size graph (batch 1) runs the batch image by image. An input size the graph
    /// cannot run throws <see cref="InvalidInputException"/>.
    /// </summary>
    public HeadOutputs Forward(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4 || batch.shape[1] != 3) throw new ArgumentException($"expected an N×3×H×W batch, got [{string.Join(", ", batch.shape)}]");
        long n = batch.shape[0], height = batch.shape[2], width = batch.shape[3];
        CheckSize(height, width);
        using var scope = NewDisposeScope();
        using var input = batch.detach().to_type(ScalarType.Float32).cpu().contiguous();
        Tensor[] heads;
        if (_inputShape[0] > 0 && _inputShape[0] != n)
        {
            var perImage = Enumerable.Range(0, (int)n).Select(i => Run(input.narrow(0, i, 1))).ToArray();
            heads = Enumerable.Range(0, OnnxMetadata.OutputNames.Count).Select(k => cat(perImage.Select(h => h[k]).ToArray(), 0)).ToArray();
        }
        else
        {
            heads = Run(input);
        }
        foreach (var head in heads) head.MoveToOuterDisposeScope();
        return new HeadOutputs(heads[0], heads[1], heads[2], heads[3], heads[4], heads[5]);
    }

    void CheckSize(long height, long width)
    {
        if (!DynamicSize && (height != _inputShape[2] || width != _inputShape[3]))
            throw new InvalidInputException(Path, $"this ONNX model was exported for {_inputShape[2]}×{_inputShape[3]} inputs and this image needs {height}×{width}; " +
                "export with 'cornernet export --dynamic-size' to run the test procedure's per-image sizes");
        foreach (long side in new[] { height, width })
            if (!Config.AcceptsInputSide((int)side))
                throw new ArgumentException($"input side {side} gives a map that {Config.Levels} hourglass levels cannot halve evenly (use 128k − 1)");
        if (height > MaxInputSide || width > MaxInputSide)
            throw new InvalidInputException(Path, $"input {height}×{width} exceeds the largest side {MaxInputSide} this ONNX model's corner pooling covers; export with a larger --max-size");
    }

    Tensor[] Run(Tensor input)
    {
        var data = input.data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var outputs = _session.Run(_runOptions, [OnnxMetadata.InputName], [value], OnnxMetadata.OutputNames.ToArray());
        var tensors = new Tensor[outputs.Count];
        for (int i = 0; i < outputs.Count; i++)
        {
            var shape = outputs[i].GetTensorTypeAndShape().Shape;
            tensors[i] = empty(shape, ScalarType.Float32);
            MemoryMarshal.AsBytes(outputs[i].GetTensorDataAsSpan<float>()).CopyTo(tensors[i].bytes);
        }
        return tensors;
    }

    /// <summary>The official test procedure around this network, with the model config's mean and std for the
    /// input.</summary>
    public DetectionPipeline CreatePipeline(DetectionOptions? options = null) => DetectionPipeline.ForNetwork(Forward, Config, options);

    DetectionPipeline IDetectionNetwork.CreatePipeline(DetectionOptions options) => CreatePipeline(options);

    /// <summary>ONNX Runtime.</summary>
    public InferenceEngine Engine => InferenceEngine.OnnxRuntime;

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
