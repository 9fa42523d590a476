using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Runtime;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// Detection for C# callers: load a model file once, then detect objects in image files, streams, SkiaSharp bitmaps
/// or decoded images. Runs the official test procedure (<see cref="DetectionPipeline"/>): original resolution padded to
/// what the network needs, optional flip and multi-scale testing, soft-NMS, top 100 per image. All tensors live on the
/// model's device, so the CUDA build of TorchSharp works unchanged. The network runs on TorchSharp (a model file) or on
/// ONNX Runtime (a model exported with <c>OnnxExporter</c> (Onnx/)); both share the same test procedure. Not
/// thread-safe: use one detector per thread.
/// </summary>
public sealed class Detector : IDisposable
{
    readonly IDetectionNetwork _network;
    readonly bool _ownsNetwork;
    readonly DetectionPipeline _pipeline;

    /// <summary>The model's classes; index = heatmap channel.</summary>
    public IReadOnlyList<ClassInfo> Classes { get; }

    /// <summary>The model's configuration.</summary>
    public CornerNetConfig Config => _network.Config;

    /// <summary>What runs the network.</summary>
    public InferenceEngine Engine => _network.Engine;

    /// <summary>The test-time options in use.</summary>
    public DetectionOptions Options => _pipeline.Options;

    /// <summary>
    /// Wraps a loaded network with its classes. The detector owns and disposes the network, folds its BatchNorm
    /// layers into the convolutions (inference only: it can no longer be trained or saved) and converts it to the
    /// precision of <paramref name="options"/> (see <see cref="DetectionOptions.Precision"/>).
    /// </summary>
    public Detector(CornerNetModel model, IReadOnlyList<ClassInfo> classes, DetectionOptions? options = null, Device? device = null)
        : this(new TorchNetwork(model, device, forInference: true, ownsModel: true), classes, options, ownsNetwork: true)
    {
    }

    /// <summary>
    /// Wraps an ONNX Runtime network (CPU); the detector owns and disposes it. It runs float32: precision auto means
    /// float32, bf16 throws <see cref="InvalidInputException"/>.
    /// </summary>
    public Detector(OnnxRuntimeNetwork network, DetectionOptions? options = null)
        : this(RejectTorchOnlyOptions(network, options), network.Classes, options, ownsNetwork: true)
    {
    }

    /// <summary>
    /// Wraps any <paramref name="network"/> with its <paramref name="classes"/> (one per heatmap channel); the detector
    /// disposes the network only when it owns it.
    /// </summary>
    public Detector(IDetectionNetwork network, IReadOnlyList<ClassInfo> classes, DetectionOptions? options = null, bool ownsNetwork = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count != network.Config.Classes)
            throw new ArgumentException($"{classes.Count} classes for a model with {network.Config.Classes}");
        _network = network;
        _ownsNetwork = ownsNetwork;
        Classes = classes;
        _pipeline = network.CreatePipeline(options ?? new DetectionOptions());
    }

    /// <summary>
    /// A detector around <paramref name="model"/> as it is (mode, BatchNorm, device unchanged; not owned), e.g. for
    /// validation during training.
    /// </summary>
    internal static Detector Borrowing(CornerNetModel model, IReadOnlyList<ClassInfo> classes, DetectionOptions options) =>
        new(new TorchNetwork(model, device: null, forInference: false, ownsModel: false), classes, options, ownsNetwork: false);

    /// <summary>
    /// Loads a model: a model file (.safetensors, see <see cref="ModelFile"/>) runs on TorchSharp on
    /// <paramref name="device"/> (default CPU); an exported .onnx file runs on ONNX Runtime (CPU) with
    /// <see cref="TorchRuntime.Threads"/> intra-op threads.
    /// </summary>
    public static Detector Load(string modelPath, DetectionOptions? options = null, Device? device = null) =>
        Load(modelPath, EngineFor(modelPath), options, device);

    /// <summary>
    /// Loads a model for an explicit <paramref name="engine"/>; a file that does not suit it (by extension) throws
    /// <see cref="InvalidInputException"/>.
    /// </summary>
    public static Detector Load(string modelPath, InferenceEngine engine, DetectionOptions? options = null, Device? device = null)
    {
        if (engine != EngineFor(modelPath))
            throw new InvalidInputException(modelPath, engine == InferenceEngine.OnnxRuntime
                ? "the onnx engine runs an exported .onnx model (create it with 'cornernet export MODEL --dynamic-size --out MODEL.onnx')"
                : "an .onnx model runs with the onnx engine (--engine onnx)");
        if (engine == InferenceEngine.OnnxRuntime)
        {
            if (device is not null && device.type != DeviceType.CPU)
                throw new ArgumentException("the ONNX Runtime engine runs on the CPU", nameof(device));
            RejectTorchOnlyOptions(options);
            var network = OnnxRuntimeNetwork.Load(modelPath, TorchRuntime.Threads);
            try
            {
                return new Detector(network, options);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        var (model, classes) = ModelFile.Load(modelPath);
        try
        {
            return new Detector(model, classes, options, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Detects objects in the image file at <paramref name="path"/> (JPEG, PNG, …).</summary>
    public IReadOnlyList<DetectedObject> Detect(string path) => Detect(ImageDecoder.Decode(path));

    /// <summary>Detects objects in an encoded image read from <paramref name="stream"/>; <paramref name="name"/> labels
    /// errors.</summary>
    public IReadOnlyList<DetectedObject> Detect(Stream stream, string name = "stream") =>
        Detect(ImageDecoder.Decode(ReadAll(stream), name));

    /// <summary>Detects objects in a SkiaSharp bitmap.</summary>
    public IReadOnlyList<DetectedObject> Detect(SKBitmap bitmap) => Detect(ImageEncoder.FromBitmap(bitmap));

    /// <summary>Detects objects in a decoded BGR image.</summary>
    public IReadOnlyList<DetectedObject> Detect(BgrImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Detect([image], 1)[0];
    }

    /// <summary>
    /// Detects objects in the image files at <paramref name="paths"/>, up to <paramref name="batchSize"/> images per
    /// network run; results are in input order and equal one-at-a-time results.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<string> paths, int batchSize = 4) =>
        Detect(paths.Select(p => ImageDecoder.Decode(p)).ToList(), batchSize);

    /// <summary>Detects objects in encoded images read from <paramref name="streams"/>, in batches (see the paths
    /// overload).</summary>
    public IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<Stream> streams, int batchSize = 4) =>
        Detect(streams.Select((s, i) => ImageDecoder.Decode(ReadAll(s), $"stream {i}")).ToList(), batchSize);

    /// <summary>Detects objects in SkiaSharp bitmaps, in batches (see the paths overload).</summary>
    public IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<SKBitmap> bitmaps, int batchSize = 4) =>
        Detect(bitmaps.Select(ImageEncoder.FromBitmap).ToList(), batchSize);

    /// <summary>Detects objects in decoded BGR images, in batches (see the paths overload).</summary>
    public IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<BgrImage> images, int batchSize = 4) =>
        Detect(images, batchSize, _pipeline);

    /// <summary>Batched detection with other test-time options for this call (the server's per-request flip).</summary>
    internal IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<BgrImage> images, int batchSize, DetectionOptions options)
    {
        // The network was converted once; switching precision per call would round float32 weights through bfloat16.
        if (AutoPrecision.Resolve(options.Precision) != AutoPrecision.Resolve(Options.Precision) && Engine == InferenceEngine.Torch)
            throw new ArgumentException($"this detector runs {Options.Precision}; its precision cannot change per call", nameof(options));
        return Detect(images, batchSize, options == Options ? _pipeline : _network.CreatePipeline(options));
    }

    IReadOnlyList<IReadOnlyList<DetectedObject>> Detect(IReadOnlyList<BgrImage> images, int batchSize, DetectionPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(images);
        return pipeline.Detect(images, batchSize)
            .Select(detections => (IReadOnlyList<DetectedObject>)detections
                .OrderByDescending(d => d.Score)
                .Select(d => new DetectedObject(d.ClassIndex, Classes[d.ClassIndex].Id, Classes[d.ClassIndex].Name, d.Score, d.X1, d.Y1, d.X2, d.Y2))
                .ToList())
            .ToList();
    }

    static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    static OnnxRuntimeNetwork RejectTorchOnlyOptions(OnnxRuntimeNetwork network, DetectionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(network);
        RejectTorchOnlyOptions(options);
        return network;
    }

    static void RejectTorchOnlyOptions(DetectionOptions? options)
    {
        if (options?.Precision == Precision.Bf16)
            throw new InvalidInputException(null, "the onnx engine runs float32 only; bf16 precision needs a .safetensors model on the torch engine (use --precision fp32 or auto)");
        if (options?.Layout == MemoryLayout.ChannelsLast)
            throw new InvalidInputException(null, "the onnx engine chooses its own memory layout; channels-last needs a .safetensors model on the torch engine (use --layout nchw or auto)");
    }

    static InferenceEngine EngineFor(string modelPath) =>
        string.Equals(Path.GetExtension(modelPath), ".onnx", StringComparison.OrdinalIgnoreCase) ? InferenceEngine.OnnxRuntime : InferenceEngine.Torch;

    /// <summary>Releases the network.</summary>
    public void Dispose()
    {
        if (_ownsNetwork) _network.Dispose();
    }
}
