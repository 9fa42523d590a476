using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Layers;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Runtime;
using CornerNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Benchmarks;

/// <summary>
/// Measures the figures of the speed table (see <see cref="BenchmarkSuite"/>) on random weights and synthetic inputs,
/// with libtorch on one thread per core. Every figure is timed after warm-up; every tensor is disposed per run.
/// </summary>
internal sealed partial class BenchmarkRunner
{
    /// <summary>Side of the square fp32 matmul that gives the practical compute peak.</summary>
    public const int MatmulSide = 4096;

    /// <summary>Shape (N, C, H, W) of the corner-pooling comparison.</summary>
    public static readonly long[] CornerPoolShape = [1, 128, 128, 128];

    readonly BenchmarkOptions _options;
    readonly Action<string> _status;
    readonly Action<BenchmarkRecord> _measured;
    readonly List<BenchmarkRecord> _records = new();
    readonly List<string> _notes = new();
    readonly CornerNetConfig _config;
    double? _matmulGflopPerSecond;

    /// <summary>
    /// Creates a runner; <paramref name="status"/> receives what is being measured now (and skip notes),
    /// <paramref name="measured"/> each record when it is done.
    /// </summary>
    public BenchmarkRunner(BenchmarkOptions options, Action<string>? status = null, Action<BenchmarkRecord>? measured = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _status = status ?? (_ => { });
        _measured = measured ?? (_ => { });
        _config = options.Config.WithSquareInput(options.Size);
    }

    /// <summary>Runs the suite and returns the report.</summary>
    public BenchmarkReport Run()
    {
        TorchRuntime.SetThreads(0);
        var suite = _options.Suite;
        bool all = suite == BenchmarkSuite.Standard;
        if (all || suite == BenchmarkSuite.Forward) { Matmul(); Forward(); }
        if (all || suite == BenchmarkSuite.Decode) Decode();
        if (all || suite == BenchmarkSuite.Train) { TrainStep(); TrainStep(bfloat16: true); }
        if (all || suite == BenchmarkSuite.Evaluate) EvaluateBig();
        if (all || suite == BenchmarkSuite.Loader) Loader();
        if (all || suite == BenchmarkSuite.CornerPool) CornerPools();
        if (suite == BenchmarkSuite.Onnx) OnnxForward();
        if (suite == BenchmarkSuite.Int8) Int8Forward();
        if (suite == BenchmarkSuite.Batch) BatchedDetection();
        return new BenchmarkReport { Machine = MachineDescription.Current(), Records = _records.ToArray(), Notes = _notes.ToArray() };
    }

    string Tag => $"{_options.PresetName}_{_options.Size}";

    void Add(BenchmarkRecord record)
    {
        _records.Add(record);
        _measured(record);
    }

    BenchmarkRecord Time(string name, Action action, int minimumWarmup = 0)
    {
        int warmup = Math.Max(_options.Warmup, minimumWarmup);
        _status($"measuring {name} ({warmup} warm-up, {_options.Runs} runs)");
        var record = BenchmarkTimer.Measure(name, action, warmup, _options.Runs);
        record.Extra["warmup"] = warmup;
        return record;
    }

    void Matmul()
    {
        manual_seed(0);
        using var a = randn(MatmulSide, MatmulSide);
        using var b = randn(MatmulSide, MatmulSide);
        var record = Time($"matmul_{MatmulSide}", () =>
        {
            using var c = a.matmul(b);
        });
        double flops = 2.0 * MatmulSide * MatmulSide * MatmulSide;
        _matmulGflopPerSecond = flops / 1e9 / (record.MinMs / 1000);
        record.Extra["gflop"] = flops / 1e9;
        record.Extra["gflop_per_s"] = _matmulGflopPerSecond.Value;
        Add(record);
    }

    CornerNetModel RandomModel()
    {
        manual_seed(0);
        var model = new CornerNetModel(_config);
        model.eval();
        return model;
    }

    void Forward()
    {
        using var unfolded = RandomModel();
        using var folded = RandomModel();
        folded.FoldBatchNorm();
        using var channelsLast = RandomModel();
        channelsLast.FoldBatchNorm();
        ChannelsLast.Apply(channelsLast);
        using var bfloat16 = RandomModel();
        bfloat16.FoldBatchNorm();
        bfloat16.to(ScalarType.BFloat16);
        using var bfloat16ChannelsLast = RandomModel();
        bfloat16ChannelsLast.FoldBatchNorm();
        bfloat16ChannelsLast.to(ScalarType.BFloat16);
        ChannelsLast.Apply(bfloat16ChannelsLast);
        var decoder = new CornerDecoder(DecodeOptions.For(_config));
        Action Run(CornerNetModel model, Tensor x) => () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var heads = model.forward(x)[^1];
            decoder.Decode(heads);
        };
        // As DetectionPipeline runs bf16: the input cast to bfloat16, the heads back to float32 before decoding.
        Action RunBFloat16(CornerNetModel model, Tensor x) => () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var heads = model.forward(x.to(ScalarType.BFloat16))[^1];
            decoder.Decode(heads.To(ScalarType.Float32).Contiguous());
        };
        double gflop = ConvFlops.Count(_config, _options.Size, _options.Size) / 1e9;
        void AddForward(BenchmarkRecord record, int batch, bool batchNormFolded)
        {
            // GFLOP/s from the fastest run: the run least disturbed by other load on the machine.
            double rate = batch * gflop / (record.MinMs / 1000);
            record.Extra["gflop"] = batch * gflop;
            record.Extra["gflop_per_s"] = rate;
            if (_matmulGflopPerSecond is double peak) record.Extra["fraction_of_matmul_peak"] = rate / peak;
            record.Extra["batch_norm_folded"] = batchNormFolded;
            Add(record);
        }

        manual_seed(1);
        using var image = randn(1, 3, _options.Size, _options.Size);
        using var imageChannelsLast = ChannelsLast.Of(image);
        string name = $"forward_{Tag}";
        _status($"measuring {name}: NCHW, channels-last, unfolded BatchNorm and bfloat16 in both layouts, interleaved ({_options.Warmup} warm-up, {_options.Runs} runs)");
        var records = BenchmarkTimer.Interleaved(new[]
        {
            (name + "_nchw", Run(folded, image)),
            (name + "_channels_last", Run(channelsLast, imageChannelsLast)),
            (name + "_unfolded", Run(unfolded, image)),
            (name + "_bf16_nchw", RunBFloat16(bfloat16, image)),
            (name + "_bf16_channels_last", RunBFloat16(bfloat16ChannelsLast, imageChannelsLast)),
        }, _options.Warmup, _options.Runs);
        foreach (int i in new[] { 0, 1, 3, 4 }) records[i].Extra["layout"] = i % 3 == 0 ? "nchw" : "channels_last";
        records[3].Extra["precision"] = records[4].Extra["precision"] = "bf16";
        AddForward(records[0], 1, true);
        AddForward(records[1], 1, true);
        AddForward(records[2], 1, false);
        AddForward(records[3], 1, true);
        AddForward(records[4], 1, true);
        // The default path (what Detector runs): the layout --layout names, auto resolved for this host per precision.
        var fp32Layout = ResolvedLayout(ScalarType.Float32);
        var bf16Layout = ResolvedLayout(ScalarType.BFloat16);
        Add(records[fp32Layout == MemoryLayout.ChannelsLast ? 1 : 0] with { Name = name });
        Add(records[bf16Layout == MemoryLayout.ChannelsLast ? 4 : 3] with { Name = name + "_bf16" });

        // The flip test: the image and its mirror in one batch of two, in the default layout.
        using var mirror = image.flip(3);
        using var pair = cat(new[] { image, mirror }, 0);
        using var pairChannelsLast = ChannelsLast.Of(pair);
        var flip = fp32Layout == MemoryLayout.ChannelsLast ? Run(channelsLast, pairChannelsLast) : Run(folded, pair);
        var flipRecord = Time($"forward_flip_{Tag}", flip);
        flipRecord.Extra["layout"] = fp32Layout == MemoryLayout.ChannelsLast ? "channels_last" : "nchw";
        AddForward(flipRecord, 2, true);
    }

    MemoryLayout ResolvedLayout(ScalarType dtype) =>
        _options.Layout == MemoryLayout.Auto
            ? AutoLayout.For(dtype, _config.Family.Name, _config.Family.LayoutBlock).Chosen
            : _options.Layout;

    void OnnxForward()
    {
        using var model = RandomModel();
        var classes = Enumerable.Range(1, _config.Classes).Select(i => new ClassInfo(i, $"class{i}")).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"cornernet-bench-{Environment.ProcessId}.onnx");
        try
        {
            _status($"exporting {_options.PresetName} to ONNX ({_options.Size}×{_options.Size})");
            // Once: exporting folds the model's BatchNorm in place.
            var export = BenchmarkTimer.Measure($"onnx_export_{Tag}",
                () => OnnxExporter.Export(model, classes, path, new OnnxExportOptions { InputSize = [_options.Size, _options.Size] }), warmup: 0, runs: 1);
            export.Extra["file_mb"] = new FileInfo(path).Length / 1e6;
            Add(export);

            using var network = OnnxRuntimeNetwork.Load(path, Environment.ProcessorCount);
            manual_seed(1);
            using var image = randn(1, 3, _options.Size, _options.Size);
            string name = $"forward_raw_{Tag}";
            _status($"measuring {name}: TorchSharp and ONNX Runtime {OnnxRuntimeNetwork.RuntimeVersion} interleaved ({_options.Warmup} warm-up, {_options.Runs} runs)");
            var records = BenchmarkTimer.Interleaved(new (string, Action)[]
            {
                (name + "_torch", () =>
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    model.forward(image);
                }),
                (name + "_onnx", () =>
                {
                    using var scope = NewDisposeScope();
                    network.Forward(image);
                }),
            }, _options.Warmup, _options.Runs);
            records[1].Extra["onnxruntime"] = OnnxRuntimeNetwork.RuntimeVersion;
            foreach (var record in records) Add(record);
        }
        finally
        {
            File.Delete(path);
        }
    }

    void Decode()
    {
        int map = _config.OutputSize[0];
        int classes = _config.Classes;
        manual_seed(2);
        // Heads of a flip batch as a random-weight network gives them: logits around the −2.19 prior.
        // An explicit, held Scalar: an implicitly converted one can be freed by the GC during the call (see
        // KeptScalars).
        using var prior = 2.19.ToScalar();
        using var tlHeats = randn(2, classes, map, map).sub_(prior);
        using var brHeats = randn(2, classes, map, map).sub_(prior);
        using var tlTags = randn(2, 1, map, map);
        using var brTags = randn(2, 1, map, map);
        using var tlRegrs = rand(2, 2, map, map);
        using var brRegrs = rand(2, 2, map, map);
        var heads = new HeadOutputs(tlHeats, brHeats, tlTags, brTags, tlRegrs, brRegrs);
        var decoder = new CornerDecoder(new DecodeOptions(K: 100));
        // The first few decodes of a process run ≈ 3× slower (measured: 51 ms median after 1 warm-up, 16 ms after 3);
        // decoding over a dataset is in that steady state, so the figure always gets at least 3 warm-ups.
        var record = Time("decode_flip_k100", () =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            decoder.Decode(heads);
        }, minimumWarmup: 3);
        record.Extra["map"] = map;
        record.Extra["classes"] = classes;
        Add(record);
    }

    /// <summary>One Adam step on a random batch; <paramref name="bfloat16"/>: mixed precision as <c>train --precision
    /// bf16</c> (record <c>…_bf16</c>). With <c>--layout channels-last</c> the weights and the input are channels-last
    /// (records <c>…_channels_last</c>), an experiment: training itself runs NCHW.</summary>
    void TrainStep(bool bfloat16 = false)
    {
        int size = _options.Size, map = _config.OutputSize[0], batch = _options.Batch;
        bool channelsLast = _options.Layout == MemoryLayout.ChannelsLast;
        using var model = RandomModel();
        model.train();
        if (channelsLast) ChannelsLast.Apply(model, trainable: true);
        using var optimizer = new AdamOptimizer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 2.5e-4);
        var targetOptions = new TargetOptions(_config.Classes, size, size, map, map);
        var random = new Random(3);
        var perImage = Enumerable.Range(0, batch).Select(_ =>
        {
            var boxes = Enumerable.Range(0, 6).Select(_ =>
            {
                float x = (float)(random.NextDouble() * size * 0.6), y = (float)(random.NextDouble() * size * 0.6);
                float w = (float)(20 + random.NextDouble() * size * 0.35), h = (float)(20 + random.NextDouble() * size * 0.35);
                return new Box(x, y, Math.Min(x + w, size - 1), Math.Min(y + h, size - 1));
            }).ToList();
            var classes = boxes.Select(_ => random.Next(_config.Classes)).ToList();
            return CornerTargets.Build(boxes, classes, targetOptions);
        }).ToList();
        using var targets = CornerTargetBatch.Stack(perImage);
        manual_seed(3);
        using var nchwInput = randn(batch, 3, size, size);
        using var input = channelsLast ? ChannelsLast.Of(nchwInput) : nchwInput.alias();
        var record = Time($"train_step_{Tag}_b{batch}{(bfloat16 ? "_bf16" : "")}{(channelsLast ? "_channels_last" : "")}", () =>
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            IReadOnlyList<HeadOutputs> stacks;
            using (bfloat16 ? MixedPrecision.Enter() : null) stacks = model.forward(input);
            var parts = CornerNetLoss.Compute(
                stacks,
                targets);
            parts.Total.backward();
            optimizer.Step();
        });
        double gflop = batch * ConvFlops.Count(_config, size, size, trainingPath: true) / 1e9;
        record.Extra["forward_gflop"] = gflop;
        record.Extra["batch"] = batch;
        Add(record);
    }

    void EvaluateBig()
    {
        string gt = Path.Combine(_options.EvaluateCase, "gt.json.gz"), dets = Path.Combine(_options.EvaluateCase, "dets.json.gz");
        if (!File.Exists(gt) || !File.Exists(dets))
        {
            string note = $"evaluate_big skipped: {Path.GetFullPath(_options.EvaluateCase)} has no gt.json.gz and dets.json.gz";
            _notes.Add(note);
            _status(note);
            return;
        }
        int detections = 0;
        var record = Time("evaluate_big", () =>
        {
            // As `cornernet evaluate` does it: both files read at the same time, then the evaluation.
            var gtRead = Task.Run(() => CocoAnnotationFile.Read(gt));
            var detsRead = Task.Run(() => CocoDetectionsFile.Read(dets));
            var file = detsRead.GetAwaiter().GetResult();
            detections = file.Detections.Count;
            CocoEvaluator.Evaluate(gtRead.GetAwaiter().GetResult(), file);
        });
        record.Extra["detections"] = detections;
        Add(record);
    }

    void Loader()
    {
        int batch = _options.Batch, images = 4 * batch;
        var source = new SyntheticShapesSource(new SyntheticShapes(size: 512), images, seed: 4);
        var augmentation = new AugmentationOptions { InputHeight = _options.Size, InputWidth = _options.Size };
        var loader = new DetectionLoader(source, new TrainingSampleBuilder(augmentation), new DetectionLoaderOptions { BatchSize = batch, Seed = 4 });
        int epoch = 0;
        var record = Time($"loader_{_options.Size}", () =>
        {
            foreach (var b in loader.Epoch(epoch++)) b.Dispose();
        });
        record.Extra["images"] = images;
        record.Extra["images_per_s"] = images / (record.MedianMs / 1000);
        Add(record);
    }

    void CornerPools()
    {
        manual_seed(5);
        using var input = randn(CornerPoolShape);
        using var gradOut = randn(CornerPoolShape);
        string shape = string.Join("x", CornerPoolShape);
        foreach (var (name, pool) in CornerPoolCandidates.All)
        {
            var record = Time($"corner_pool_{name}_{shape}", () =>
            {
                using var scope = NewDisposeScope();
                var x = input.detach().requires_grad_(true);
                var y = pool(x);
                y.backward([gradOut]);
            });
            record.Extra["pass"] = "forward+backward";
            Add(record);
        }
        // Inference (no autograd), as the test path runs it: each direction in fp32 NCHW and bf16 channels-last.
        using var noGrad = no_grad();
        using var bfloat16 = input.to(ScalarType.BFloat16);
        using var bfloat16ChannelsLast = ChannelsLast.Of(bfloat16);
        foreach (var (format, x) in new[] { ("fp32_nchw", input), ("bf16_channels_last", bfloat16ChannelsLast) })
            foreach (var direction in Enum.GetValues<CornerPoolDirection>())
            {
                var record = Time($"corner_pool_inference_{direction.ToString().ToLowerInvariant()}_{format}_{shape}", () =>
                {
                    using var y = CornerPool.Pool(x, direction);
                });
                record.Extra["pass"] = "forward, no autograd";
                Add(record);
            }
    }
}
