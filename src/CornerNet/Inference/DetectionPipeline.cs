using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// The official test procedure for one image (<c>test/coco.py kp_detection</c>): for every scale the OpenCV-exact
/// resized, centred and normalized input (with its mirror when flipping) goes through the network and
/// <see cref="CornerDecoder"/>; the decoded rows of all scales are merged by <see cref="PostProcessor"/>
/// (mirror mapping, image pixels, per-class soft-NMS, top list). Tensors live on the given device; post-processing
/// runs on the host.
/// </summary>
public sealed class DetectionPipeline
{
    readonly Func<Tensor, Tensor> _decodeBatch;
    readonly int _classes;
    readonly ImagePreprocessor _preprocessor;
    readonly PostProcessor _postProcessor;
    readonly Device? _device;

    DetectionPipeline(Func<Tensor, Tensor> decodeBatch, int classes, DetectionOptions? options, ImagePreprocessor? preprocessor, Device? device)
    {
        ArgumentNullException.ThrowIfNull(decodeBatch);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        Options = options ?? new DetectionOptions();
        Options.Validate();
        _decodeBatch = decodeBatch;
        _classes = classes;
        _preprocessor = preprocessor ?? new ImagePreprocessor();
        _postProcessor = new PostProcessor(Options);
        _device = device;
    }

    /// <summary>
    /// A pipeline around a network: <paramref name="network"/> receives the normalized float32 batch (B×3×H×W, B = 2
    /// with flip: image then mirror) on <paramref name="device"/> and returns the last stack's six heads with
    /// <paramref name="classes"/> heatmap channels. It is called under <c>torch.no_grad()</c>; tensors it creates
    /// during the call are disposed by the pipeline. The preprocessor defaults to the official COCO mean/std.
    /// </summary>
    public DetectionPipeline(Func<Tensor, HeadOutputs> network, int classes, DetectionOptions? options = null, ImagePreprocessor? preprocessor = null, Device? device = null)
        : this(DecodeWith(network, classes, (options ?? new DetectionOptions()).Decode ?? new DecodeOptions()), classes, options, preprocessor, device)
    {
    }

    /// <summary>
    /// A pipeline around any stage that turns a normalized batch into decoded rows (B×D×8 as
    /// <see cref="CornerDecoder.Decode"/> returns them), e.g. a network followed by a modified decoder, or stored
    /// decoder outputs in tests.
    /// </summary>
    public static DetectionPipeline FromDecodedBatches(Func<Tensor, Tensor> decodeBatch, int classes, DetectionOptions? options = null, ImagePreprocessor? preprocessor = null, Device? device = null)
        => new(decodeBatch, classes, options, preprocessor, device);

    /// <summary>
    /// A pipeline around <paramref name="model"/> (the caller chooses train/eval mode and folding): the model's
    /// last-stack heads, and its config's mean/std for the input. The model is converted in place to the precision of
    /// <paramref name="options"/> (<see cref="DetectionOptions.Precision"/>; auto resolved for this host, see
    /// <see cref="AutoPrecision"/>; float32 off the CPU): in bfloat16 the input is cast to bfloat16 and the heads back
    /// to float32. Its convolution weights are put in the memory layout of <see cref="DetectionOptions.Layout"/> (auto
    /// resolved for this host and precision, see <see cref="AutoLayout"/>; NCHW off the CPU and for a model whose
    /// BatchNorm is not folded, which may still be trained); in channels-last the input is converted and the heads
    /// made contiguous again.
    /// </summary>
    /// <exception cref="ArgumentException">Channels-last was asked for a model whose BatchNorm is not folded.</exception>
    public static DetectionPipeline ForModel(CornerNetModel model, DetectionOptions? options = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DetectionOptions();
        // Auto is measured on the CPU; on another device it means float32.
        bool onCpu = device is null || device.type == DeviceType.CPU;
        options = options with { Precision = options.Precision == Precision.Auto && !onCpu ? Precision.Fp32 : AutoPrecision.Resolve(options.Precision) };
        var dtype = options.Precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (model.parameters().First().dtype != dtype) model.to(dtype);
        // Channels-last replaces the weights by tensors without gradients, so a model that may still train stays NCHW.
        if (options.Layout == MemoryLayout.ChannelsLast && !model.IsBatchNormFolded)
            throw new ArgumentException("channels-last layout needs a model that only detects (BatchNorm folded, as Detector makes it)", nameof(options));
        var layout = options.Layout != MemoryLayout.Auto ? options.Layout
            : onCpu && model.IsBatchNormFolded
                ? AutoLayout.For(dtype, model.Config.Family.Name, model.Config.Family.LayoutBlock).Chosen
                : MemoryLayout.Nchw;
        options = options with { Layout = layout };
        if (model.IsBatchNormFolded) ChannelsLast.Apply(model, layout == MemoryLayout.ChannelsLast);
        return Create(batch =>
        {
            var input = dtype == ScalarType.Float32 ? batch : batch.to(dtype);
            if (layout == MemoryLayout.ChannelsLast) input = ChannelsLast.Of(input);
            var heads = model.forward(input)[^1];
            if (dtype != ScalarType.Float32) heads = heads.To(ScalarType.Float32);
            return layout == MemoryLayout.ChannelsLast ? heads.Contiguous() : heads;
        }, model.Config, options, device);
    }

    /// <summary>
    /// A pipeline around any network of the architecture <paramref name="config"/> (e.g. the ONNX Runtime engine): its
    /// classes, its mean/std and output stride for the input, and its family's decoding settings unless
    /// <paramref name="options"/> set them (<see cref="DecodeOptions.For"/>). Such a network runs in its own precision:
    /// <see cref="Precision.Bf16"/> throws <see cref="InvalidInputException"/>, <see cref="Precision.Auto"/> means
    /// float32.
    /// </summary>
    public static DetectionPipeline ForNetwork(Func<Tensor, HeadOutputs> network, CornerNetConfig config, DetectionOptions? options = null, Device? device = null)
    {
        options ??= new DetectionOptions();
        if (options.Precision == Precision.Bf16)
            throw new InvalidInputException(null, "bf16 precision runs TorchSharp models only; this network runs float32 (use fp32 or auto)");
        if (options.Layout == MemoryLayout.ChannelsLast)
            throw new InvalidInputException(null, "channels-last layout runs TorchSharp models only; this network chooses its own layout (use nchw or auto)");
        return Create(network, config, options with { Precision = Precision.Fp32, Layout = MemoryLayout.Nchw }, device);
    }

    static DetectionPipeline Create(Func<Tensor, HeadOutputs> network, CornerNetConfig config, DetectionOptions options, Device? device)
    {
        ArgumentNullException.ThrowIfNull(config);
        var preprocessor = new ImagePreprocessor(config.Normalization, config.Stride);
        options = options with { Decode = options.Decode ?? DecodeOptions.For(config) };
        return new DetectionPipeline(DecodeWith(network, config.Classes, options.Decode), config.Classes, options, preprocessor, device);
    }

    /// <summary>The test procedure's options.</summary>
    public DetectionOptions Options { get; }

    /// <summary>Detections of <paramref name="image"/> in image pixels, in class order.</summary>
    public IReadOnlyList<Detection> Detect(BgrImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Detect([image], 1)[0];
    }

    /// <summary>
    /// Detections of each of <paramref name="images"/> (in their order), running up to <paramref name="batchSize"/>
    /// images through the network at once. Only images with the same network canvas share a batch (padding to a common
    /// canvas is not exact: corner pooling scans whole rows and columns), so the results equal one-at-a-time results.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Detection>> Detect(IReadOnlyList<BgrImage> images, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1, nameof(batchSize));
        var downscales = new double[images.Count];
        var scales = new List<(float[] Decoded, int Batch, ScaleGeometry Geometry)>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentException($"image {i} is null", nameof(images));
            // An image above MaxSize: every scale shrinks by the same factor; the geometry maps the boxes back to its
            // pixels.
            downscales[i] = Options.DownscaleFactor(image.Width, image.Height);
            Options.RequireDownscalable(image.Width, image.Height, null);
            scales[i] = [];
        }
        int perImage = Options.Flip ? 2 : 1;
        using (no_grad())
        {
            foreach (double scale in Options.Scales)
            {
                var groups = Enumerable.Range(0, images.Count)
                    .GroupBy(i => { var g = ScaleGeometry.For(images[i].Height, images[i].Width, scale * downscales[i]); return (g.InputHeight, g.InputWidth); });
                foreach (var group in groups)
                    foreach (var chunk in group.Chunk(batchSize))
                    {
                        using var scope = NewDisposeScope();
                        var inputs = new List<Tensor>();
                        var geometries = new List<ScaleGeometry>();
                        foreach (int i in chunk)
                        {
                            var (input, geometry) = _preprocessor.Prepare(images[i], scale * downscales[i], _device);
                            inputs.Add(Options.Flip ? ImagePreprocessor.WithMirror(input) : input);
                            geometries.Add(geometry);
                        }
                        var batch = inputs.Count == 1 ? inputs[0] : cat(inputs, 0);
                        var decoded = _decodeBatch(batch);
                        if (decoded.dim() != 3 || decoded.shape[0] != batch.shape[0] || decoded.shape[2] != CornerDecoder.Columns)
                            throw new InvalidOperationException($"the decoding stage returned shape [{string.Join(", ", decoded.shape)}] for a batch of {batch.shape[0]}");
                        var rows = decoded.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                        int rowsPerImage = rows.Length / chunk.Length;
                        for (int k = 0; k < chunk.Length; k++)
                            scales[chunk[k]].Add((rows[(k * rowsPerImage)..((k + 1) * rowsPerImage)], perImage, geometries[k]));
                    }
            }
        }
        return scales.Select(s => _postProcessor.Process(s, _classes)).ToList();
    }

    static Func<Tensor, Tensor> DecodeWith(Func<Tensor, HeadOutputs> network, int classes, DecodeOptions decode)
    {
        ArgumentNullException.ThrowIfNull(network);
        var decoder = new CornerDecoder(decode);
        return batch =>
        {
            var heads = network(batch);
            if (heads.TlHeats.shape[1] != classes)
                throw new InvalidOperationException($"the network returned {heads.TlHeats.shape[1]} heatmap channels, the pipeline expects {classes} classes");
            return decoder.Decode(heads);
        };
    }
}
