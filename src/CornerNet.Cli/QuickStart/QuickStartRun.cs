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

    /// <summary>Runs everything; <paramref name="cancel"/> (Ctrl-C) ends training early and still evaluates and
    /// writes.</summary>
    public QuickStartResult Run(CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var config = ModelConfig;
        config.Validate("quickstart");
        string output = Path.GetFullPath(_options.OutputDirectory);
        string runDirectory = Path.Combine(output, "run");
        string validationDirectory = Path.Combine(output, "validation");
        if (Directory.Exists(runDirectory)) Directory.Delete(runDirectory, recursive: true);
        Directory.CreateDirectory(output);

        var generator = new SyntheticShapes(_options.ImageSize, _options.MaxObjects);
        Status?.Invoke($"generating {_options.TrainImages} training and {_options.ValidationImages} validation images ({_options.ImageSize} px)");
        int total = _options.TrainImages + _options.ValidationImages;
        var train = PreloadedSource.From(new SyntheticShapesSource(generator, _options.TrainImages, _options.TrainSeed), n => Generated?.Invoke(n, total));
        SyntheticShapesDataset.Write(validationDirectory, _options.ValidationImages, _options.ValidationSeed, generator,
            n => Generated?.Invoke(_options.TrainImages + n, total));
        var validation = CocoDataset.Open(Path.Combine(validationDirectory, "annotations.json"), Path.Combine(validationDirectory, "images"));
        var classes = validation.Classes;
        var dataSeconds = clock.Elapsed.TotalSeconds;

        var trainBudget = _options.Budget - clock.Elapsed - EvaluationReserve(config, classes, validation);
        if (trainBudget < TimeSpan.FromSeconds(5))
            throw new InvalidInputException(null, $"a budget of {_options.Budget.TotalMinutes:G3} min leaves no time for training after {dataSeconds:F0} s of data generation; give more --minutes or fewer --train-images");
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
        Status?.Invoke($"training the {_options.Preset} preset ({config.Classes} classes, batch {_options.BatchSize}, lr {_options.LearningRate:G3} → ×0.1 after {_options.DropFraction:P0} of the time) for {trainBudget.TotalMinutes:F1} min");
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
    /// Time to keep for detection, evaluation and the output files: the measured time of detecting one validation image
    /// with an untrained network of the same shape (after one warm-up image), times the number of images, plus a
    /// margin.
    /// </summary>
    static TimeSpan EvaluationReserve(CornerNetConfig config, IReadOnlyList<ClassInfo> classes, CocoDataset validation)
    {
        using var detector = new Detector(new CornerNetModel(config), classes);
        var image = ImageDecoder.Decode(validation.ImagePath(0));
        detector.Detect(image);
        var clock = Stopwatch.StartNew();
        detector.Detect(image);
        return TimeSpan.FromSeconds(5 + 1.3 * clock.Elapsed.TotalSeconds * validation.Count);
    }

    static void CopyAtomically(string from, string to) => AtomicFile.Write(to, target =>
    {
        using var source = File.OpenRead(from);
        source.CopyTo(target);
    });
}
