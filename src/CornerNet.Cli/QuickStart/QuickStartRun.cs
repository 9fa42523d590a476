using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Training;

namespace CornerNet.QuickStart;

/// <summary>
/// The quick start: generates the synthetic shapes (training split in memory, validation split as a COCO dataset on
/// disk), trains the tiny preset for what the wall-clock budget leaves, runs the test procedure on the validation
/// split, evaluates it, and writes the model, drawings, plots, metrics and a report into the output folder.
/// Needs no files and no network.
/// </summary>
public sealed class QuickStartRun
{
    readonly QuickStartOptions _options;
    readonly Stopwatch _clock = new();
    TimeSpan? _evaluationReserve;

    /// <summary>Training time below which a run is refused: a few dozen iterations of the tiny preset.</summary>
    public static readonly TimeSpan MinimumTraining = TimeSpan.FromSeconds(5);

    /// <summary>Creates a run with <paramref name="options"/> (validated).</summary>
    public QuickStartRun(QuickStartOptions options)
    {
        options.Validate();
        _options = options;
    }

    /// <summary>A line for the user when a phase starts (generating, training, evaluating, writing).</summary>
    public Action<string>? Status { get; set; }

    /// <summary>Data generation progress: (done, total), never concurrently.</summary>
    public Action<int, int>? Generated { get; set; }

    /// <summary>Training progress after each optimizer step, with the share of the training budget spent.</summary>
    public Action<TrainingProgress, double>? Trained { get; set; }

    /// <summary>Detection progress on the validation split: (done, total).</summary>
    public Action<int, int>? Detected { get; set; }

    /// <summary>The model configuration the quick start trains: its preset for the six shape classes.</summary>
    public CornerNetConfig ModelConfig =>
        (ModelPresets.Get(_options.Preset) with { Classes = SyntheticShapes.ClassNames.Count }).WithSquareInput(_options.ImageSize);

    /// <summary>
    /// The files the run writes, relative to the output folder ('/'-separated), besides the TensorBoard events under
    /// <c>run/tensorboard/</c>: the validation dataset, the training run, the model, drawings, plots, metrics and
    /// report.
    /// </summary>
    public IReadOnlyList<string> PlannedOutputs() =>
    [
        "validation/annotations.json",
        .. Enumerable.Range(0, _options.ValidationImages)
            .Select(i => $"validation/images/{SyntheticShapesDataset.FileName(i)}"),
        .. Trainer.OutputFiles.Select(f => $"run/{f}"),
        "model.safetensors", "loss_curve.png",
        .. Enumerable.Range(0, Math.Min(_options.DrawnImages, _options.ValidationImages))
            .Select(i => $"detections/{SyntheticShapesDataset.FileName(i)}"),
        "detections.json", "metrics.json", "precision_recall.png", "report.md",
    ];

    /// <summary>The folder, relative to the output folder, whose TensorBoard event files the run writes.</summary>
    public static string TensorBoardFolder => $"run/{Trainer.TensorBoardFolder}";

    /// <summary>
    /// Measures, before anything is written, what the budget must cover besides training on this host: data generation
    /// (a sample generated as the run does) and the evaluation reserve (see <see cref="EvaluationReserve"/>). Throws
    /// <see cref="InvalidInputException"/> stating the minimum budget when the budget is below it. <see cref="Run"/>
    /// calls it if the caller did not; the run's clock starts here.
    /// </summary>
    public void CheckBudget()
    {
        if (_evaluationReserve is not null) return;
        _clock.Start();
        var config = ModelConfig;
        config.Validate("quickstart");
        var generator = new SyntheticShapes(_options.ImageSize, _options.MaxObjects);
        // The first image pays for compiling the generator's code; the timed sample does not.
        generator.Generate(_options.TrainSeed, 0);
        var sampleClock = Stopwatch.StartNew();
        int sample = Math.Min(4 * Environment.ProcessorCount, _options.TrainImages);
        PreloadedSource.From(new SyntheticShapesSource(generator, sample, _options.TrainSeed));
        // Validation images are also encoded and written: counted twice.
        var data = sampleClock.Elapsed / sample * (_options.TrainImages + 2.0 * _options.ValidationImages);
        var reserve = EvaluationReserve(config, generator);
        var minimum = _clock.Elapsed + data + reserve + MinimumTraining;
        if (_options.Budget < minimum)
            throw new InvalidInputException(null, $"--minutes {_options.Budget.TotalMinutes:G3} is below this run's minimum " +
                $"on this machine, {Math.Ceiling(minimum.TotalMinutes * 10) / 10:F1} min (data ≈ {data.TotalSeconds:F0} s, " +
                $"detection and evaluation ≈ {reserve.TotalSeconds:F0} s, training ≥ {MinimumTraining.TotalSeconds:F0} s); " +
                "give more --minutes or fewer --train-images/--val-images");
        _evaluationReserve = reserve;
    }

    /// <summary>Runs everything; <paramref name="cancel"/> (Ctrl-C) ends training early and still evaluates and
    /// writes.</summary>
    public QuickStartResult Run(CancellationToken cancel = default)
    {
        CheckBudget();
        var clock = _clock;
        var config = ModelConfig;
        string output = Path.GetFullPath(_options.OutputDirectory);
        string runDirectory = Path.Combine(output, "run");
        string validationDirectory = Path.Combine(output, "validation");
        Directory.CreateDirectory(output);

        var generator = new SyntheticShapes(_options.ImageSize, _options.MaxObjects);
        var dataStart = clock.Elapsed;
        Status?.Invoke($"generating {_options.TrainImages} training and {_options.ValidationImages} validation images ({_options.ImageSize} px)");
        int total = _options.TrainImages + _options.ValidationImages;
        var train = PreloadedSource.From(new SyntheticShapesSource(generator, _options.TrainImages, _options.TrainSeed), n => Generated?.Invoke(n, total));
        SyntheticShapesDataset.Write(validationDirectory, _options.ValidationImages, _options.ValidationSeed, generator,
            n => Generated?.Invoke(_options.TrainImages + n, total));
        var validation = CocoDataset.Open(Path.Combine(validationDirectory, "annotations.json"), Path.Combine(validationDirectory, "images"));
        var classes = validation.Classes;
        var dataSeconds = (clock.Elapsed - dataStart).TotalSeconds;

        var trainBudget = _options.Budget - clock.Elapsed - _evaluationReserve!.Value;
        if (trainBudget < MinimumTraining)
            throw new InvalidInputException(null, $"a budget of {_options.Budget.TotalMinutes:G3} min leaves no time for " +
                $"training after {dataSeconds:F0} s of data generation (longer than measured at the start) and " +
                $"{_evaluationReserve.Value.TotalSeconds:F0} s kept for the evaluation; give more --minutes or fewer --train-images");
        var options = new TrainOptions
        {
            Model = config,
            BatchSize = _options.BatchSize,
            Iterations = 10_000_000,
            LearningRate = _options.LearningRate,
            Seed = _options.Seed,
            CheckpointEvery = 10_000_000,
            Augment = false,
            Workers = 1,
        };
        Status?.Invoke($"training the {_options.Preset} preset ({config.Classes} classes, batch {_options.BatchSize}, lr {_options.LearningRate:G3} → ×0.1 after {_options.DropFraction:P0} of the time) for {trainBudget.TotalMinutes:F1} min " +
            $"({_evaluationReserve.Value.TotalSeconds:F0} s kept for detection and evaluation)");
        var trainClock = Stopwatch.StartNew();
        var training = new TimeBudgetTraining(options, o => new Trainer(o, train, classes, runDirectory)
        {
            Progress = p => Trained?.Invoke(p, Math.Min(1, trainClock.Elapsed / trainBudget)),
        });
        var (iterations, dropAfter) = training.Run(trainBudget, _options.DropFraction, cancel);
        var trainSeconds = trainClock.Elapsed.TotalSeconds;
        if (iterations == 0) throw new InvalidInputException(null, "training was stopped before its first iteration; nothing to evaluate");

        string modelPath = Path.Combine(output, "model.safetensors");
        CopyAtomically(Path.Combine(runDirectory, "model.safetensors"), modelPath);
        CopyAtomically(Path.Combine(runDirectory, "loss_curve.png"), Path.Combine(output, "loss_curve.png"));

        Status?.Invoke($"detecting on the {_options.ValidationImages} validation images and evaluating");
        var evalClock = Stopwatch.StartNew();
        string drawings = Path.Combine(output, "detections");
        Directory.CreateDirectory(drawings);
        List<CocoDetection> detections;
        using (var detector = Detector.Load(modelPath))
        {
            void Draw(ImageDetections found, BgrImage image)
            {
                if (found.Index < _options.DrawnImages)
                    DetectionDrawing.Save(image, found.Objects!.Where(d => d.Score >= _options.DrawThreshold), Path.Combine(drawings, Path.GetFileName(validation.ImagePath(found.Index))));
            }
            detections = DatasetDetection.ToCoco(DatasetDetection.Run(detector, validation, onImage: Draw, progress: Detected));
        }
        string detectionsPath = Path.Combine(output, "detections.json");
        CocoDetectionsFile.Write(detectionsPath, detections);
        var metrics = CocoEvaluator.Evaluate(validation.Annotations, detections);
        metrics.WriteJson(Path.Combine(output, "metrics.json"));
        PrecisionRecallPlot.Save(Path.Combine(output, "precision_recall.png"), metrics);
        var evalSeconds = evalClock.Elapsed.TotalSeconds;

        var result = new QuickStartResult(output, modelPath, metrics, iterations, dropAfter, iterations * (long)_options.BatchSize,
            dataSeconds, trainSeconds, evalSeconds, clock.Elapsed.TotalSeconds, classes);
        QuickStartReport.Write(Path.Combine(output, "report.md"), _options, config, result);
        return result;
    }

    /// <summary>
    /// Time to keep for detection, evaluation and the output files, per validation image: the network and the decoder,
    /// timed on an untrained network of the same shape (their cost does not depend on the weights: the decoder always
    /// scores K² corner pairs), plus soft-NMS bounded by its worst case — every row the decoder can return (at most
    /// K² pairs, NumDets per input, with the mirror) in one class. An untrained network's noise is not timed: it
    /// passes
    /// far more pairs than a trained one. Times 1.3, plus 5 s for the evaluation and the files.
    /// </summary>
    TimeSpan EvaluationReserve(CornerNetConfig config, SyntheticShapes generator)
    {
        var options = new DetectionOptions();
        var classes = SyntheticShapes.ClassNames.Select((name, i) => new ClassInfo(i + 1, name)).ToList();
        var image = generator.Generate(_options.ValidationSeed, 0).Image;
        double network;
        var withoutSuppression = options with { Nms = options.Nms with { Method = NmsMethod.None } };
        using (var detector = new Detector(new CornerNetModel(config), classes, withoutSuppression))
        {
            detector.Detect(image);
            // The faster of two runs: the steady cost per image, without one-off pauses.
            network = Enumerable.Range(0, 2).Min(_ =>
            {
                var clock = Stopwatch.StartNew();
                detector.Detect(image);
                return clock.Elapsed.TotalSeconds;
            });
        }
        var decode = options.Decode ?? DecodeOptions.For(config);
        int rows = (int)Math.Min(decode.NumDets, (long)decode.K * decode.K)
            * (options.Flip ? 2 : 1) * options.Scales.Count;
        var random = new Random(0);
        var worst = new float[rows * SoftNms.Columns];
        for (int r = 0; r < rows; r++)
        {
            float x = random.NextSingle() * 20, y = random.NextSingle() * 20;
            float[] row = [x, y, x + 10 + random.NextSingle() * 20, y + 10 + random.NextSingle() * 20,
                random.NextSingle(), random.NextSingle(), random.NextSingle()];
            row.CopyTo(worst, r * SoftNms.Columns);
        }
        var nmsClock = Stopwatch.StartNew();
        SoftNms.Apply(worst, options.Nms);
        double suppression = nmsClock.Elapsed.TotalSeconds;
        return TimeSpan.FromSeconds(5 + 1.3 * (network + suppression) * _options.ValidationImages);
    }

    static void CopyAtomically(string from, string to) => AtomicFile.Write(to, target =>
    {
        using var source = File.OpenRead(from);
        source.CopyTo(target);
    });
}
