using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// Trains a CornerNet (paper §4.1): Adam, the loss of Eq. 8 summed over stacks for intermediate supervision, step
/// learning-rate decay, gradient accumulation. A run folder receives <c>checkpoint.safetensors</c> (every
/// <see cref="TrainOptions.CheckpointEvery"/> iterations, at the end, and on cancellation), <c>model.safetensors</c> at
/// the end, <c>train_options.json</c>, <c>losses.csv</c>, TensorBoard events and <c>loss_curve.png</c>. The data order and
/// augmentation depend only on the seed and the iteration, so <see cref="Run"/> with <c>resume</c> continues a run
/// exactly where its checkpoint left it.
/// </summary>
public sealed class Trainer
{
    readonly TrainOptions _options;
    readonly IDetectionSource _train;
    readonly IDetectionSource? _validation;
    readonly IReadOnlyList<ClassInfo> _classes;
    readonly string _runDirectory;

    /// <summary>Called after every optimizer step.</summary>
    public Action<TrainingProgress>? Progress { get; set; }

    /// <summary>Called after every validation.</summary>
    public Action<ValidationResult>? Validated { get; set; }

    /// <summary>Called with warnings (objects beyond the per-image cap, skipped images).</summary>
    public Action<string>? Warning { get; set; }

    /// <summary>Computes COCO AP of a model on the validation set (supplied by the caller, which owns detection).</summary>
    public Func<CornerNetModel, double>? ValidationAP { get; set; }

    /// <summary>Path of the run's checkpoint.</summary>
    public string CheckpointPath => Path.Combine(_runDirectory, "checkpoint.safetensors");

    /// <summary>Path of the final model file.</summary>
    public string ModelPath => Path.Combine(_runDirectory, "model.safetensors");

    /// <summary>Prepares a run of <paramref name="options"/> on <paramref name="train"/> (class indices 0…C−1 matching <paramref name="classes"/>).</summary>
    public Trainer(TrainOptions options, IDetectionSource train, IReadOnlyList<ClassInfo> classes, string runDirectory, IDetectionSource? validation = null)
    {
        options.Validate();
        if (classes.Count != options.Model.Classes)
            throw new InvalidInputException(null, $"the model has {options.Model.Classes} classes but the dataset has {classes.Count}");
        if (train.Count == 0) throw new InvalidInputException(null, "the training set has no images");
        _options = options;
        _train = train;
        _validation = validation;
        _classes = classes;
        _runDirectory = runDirectory;
    }

    /// <summary>Options stored in a run folder (for <c>--resume</c>).</summary>
    public static TrainOptions ReadOptions(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "train_options.json");
        if (!File.Exists(path)) throw new InvalidInputException(path, "not found: is this a training run folder?");
        return TrainOptions.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Trains until <see cref="TrainOptions.Iterations"/> or until <paramref name="cancel"/> fires (a checkpoint is written
    /// either way). With <paramref name="resume"/>, continues from the run folder's checkpoint. Returns the last iteration done.
    /// </summary>
    public int Run(bool resume = false, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_runDirectory);
        AtomicFile.WriteAllText(Path.Combine(_runDirectory, "train_options.json"), _options.ToJson());
        var config = _options.Model;

        manual_seed(_options.Seed);
        using var model = new CornerNetModel(config);
        using var optimizer = new AdamOptimizer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), _options.LearningRate);
        int done = resume ? TrainingCheckpoint.Load(CheckpointPath, model, optimizer) : 0;
        model.train();

        var schedule = new LearningRateSchedule(_options.LearningRate, _options.LearningRateSteps, _options.LearningRateFactor);
        var targetOptions = new TargetOptions(config.Classes, config.InputSize[0], config.InputSize[1], config.OutputSize[0], config.OutputSize[1])
        {
            Radius = _options.Radius(),
            MaxObjects = _options.MaxObjects,
            PenaltyReduction = _options.PenaltyReduction,
        };
        var loader = new DetectionLoader(_train, new TrainingSampleBuilder(Augmentation(config, _options.Augment)), new DetectionLoaderOptions
        {
            BatchSize = _options.BatchSize,
            Workers = _options.Workers > 0 ? _options.Workers : Environment.ProcessorCount,
            Seed = _options.Seed,
            SkipBadImages = _options.SkipBadImages,
        });
        using var log = new LossLog(_runDirectory, done);
        using var batches = BatchStream(loader, (long)done * _options.Accumulate).GetEnumerator();

        var clock = Stopwatch.StartNew();
        int startIteration = done;
        long images = 0;
        int beyondCap = 0;
        try
        {
            for (int iteration = done + 1; iteration <= _options.Iterations; iteration++)
            {
                if (cancel.IsCancellationRequested) break;
                double rate = schedule.RateAt(iteration);
                optimizer.LearningRate = rate;
                optimizer.ZeroGrad();
                double total = 0, focal = 0, pull = 0, push = 0, offset = 0;
                for (int a = 0; a < _options.Accumulate; a++)
                {
                    using var scope = NewDisposeScope();
                    batches.MoveNext();
                    using var batch = batches.Current;
                    var targets = BuildTargets(batch, targetOptions, ref beyondCap);
                    var stacks = model.forward(batch.Images);
                    var parts = CornerNetLoss.Compute(
                        stacks.Select(h => StackOutputs.FromMaps(h.TlHeats, h.BrHeats, h.TlTags, h.BrTags, h.TlRegrs, h.BrRegrs, targets)).ToList(),
                        targets, _options.PullWeight, _options.PushWeight, _options.OffsetWeight);
                    double value = parts.Total.item<float>();
                    if (!double.IsFinite(value))
                        throw new TrainingDivergedException(iteration, $"focal {parts.Focal.item<float>()}, pull {parts.Pull.item<float>()}, push {parts.Push.item<float>()}, offset {parts.Offset.item<float>()}");
                    using (var share = (1.0 / _options.Accumulate).ToScalar()) parts.Total.mul(share).backward();
                    total += value / _options.Accumulate;
                    focal += parts.Focal.item<float>() / _options.Accumulate;
                    pull += parts.Pull.item<float>() / _options.Accumulate;
                    push += parts.Push.item<float>() / _options.Accumulate;
                    offset += parts.Offset.item<float>() / _options.Accumulate;
                    images += batch.Count;
                }
                optimizer.Step();
                done = iteration;

                double seconds = clock.Elapsed.TotalSeconds;
                double perIteration = seconds / (iteration - startIteration);
                var progress = new TrainingProgress(iteration, _options.Iterations, total, focal, pull, push, offset, rate,
                    images / Math.Max(seconds, 1e-9), clock.Elapsed, TimeSpan.FromSeconds(perIteration * (_options.Iterations - iteration)));
                log.Add(progress);
                Progress?.Invoke(progress);

                if (beyondCap > 0)
                {
                    Warning?.Invoke($"{beyondCap} object(s) beyond the cap of {_options.MaxObjects} per image got no embedding/offset targets");
                    beyondCap = 0;
                }
                if (iteration % _options.CheckpointEvery == 0 && iteration < _options.Iterations) SaveCheckpoint(model, optimizer, iteration, log);
                if (_validation != null && _options.ValidateEvery > 0 && iteration % _options.ValidateEvery == 0 && iteration < _options.Iterations)
                    Validate(model, targetOptions, iteration, log);
            }
        }
        finally
        {
            // Also on cancellation and on errors other than divergence the progress so far is kept.
            if (done > startIteration) SaveCheckpoint(model, optimizer, done, log);
        }

        if (done == _options.Iterations)
        {
            if (_validation != null) Validate(model, targetOptions, done, log);
            ModelFile.Save(ModelPath, model, _classes);
            LossCurvePlot.Save(Path.Combine(_runDirectory, "loss_curve.png"), log.Losses, log.ValidationLosses);
        }
        if (loader.SkippedImages > 0) Warning?.Invoke($"{loader.SkippedImages} unreadable image(s) were skipped");
        return done;
    }

    void SaveCheckpoint(CornerNetModel model, AdamOptimizer optimizer, int iteration, LossLog log)
    {
        TrainingCheckpoint.Save(CheckpointPath, model, _classes, optimizer, iteration);
        LossCurvePlot.Save(Path.Combine(_runDirectory, "loss_curve.png"), log.Losses, log.ValidationLosses);
    }

    void Validate(CornerNetModel model, TargetOptions targetOptions, int iteration, LossLog log)
    {
        model.eval();
        try
        {
            var loader = new DetectionLoader(_validation!, new TrainingSampleBuilder(Augmentation(_options.Model, augment: false)), new DetectionLoaderOptions
            {
                BatchSize = _options.BatchSize,
                Workers = _options.Workers > 0 ? _options.Workers : Environment.ProcessorCount,
                Seed = _options.Seed,
                Shuffle = false,
            });
            double sum = 0;
            int count = 0;
            int ignored = 0;
            using (no_grad())
            {
                foreach (var batch in loader.Epoch(0))
                {
                    using var scope = NewDisposeScope();
                    using (batch)
                    {
                        var targets = BuildTargets(batch, targetOptions, ref ignored);
                        var last = model.forward(batch.Images)[^1];
                        var parts = CornerNetLoss.Compute(
                            new[] { StackOutputs.FromMaps(last.TlHeats, last.BrHeats, last.TlTags, last.BrTags, last.TlRegrs, last.BrRegrs, targets) },
                            targets, _options.PullWeight, _options.PushWeight, _options.OffsetWeight);
                        sum += parts.Total.item<float>() * batch.Count;
                        count += batch.Count;
                    }
                }
            }
            double? ap = ValidationAP?.Invoke(model);
            var result = new ValidationResult(iteration, sum / Math.Max(count, 1), ap);
            log.Add(result);
            Validated?.Invoke(result);
        }
        finally
        {
            model.train();
        }
    }

    /// <summary>Batches from <paramref name="firstBatch"/> on, epoch after epoch (the order depends only on seed and epoch).</summary>
    static IEnumerable<DetectionBatch> BatchStream(DetectionLoader loader, long firstBatch)
    {
        int perEpoch = loader.BatchesPerEpoch;
        int epoch = (int)(firstBatch / perEpoch);
        int skip = (int)(firstBatch % perEpoch);
        while (true)
        {
            foreach (var batch in loader.Epoch(epoch, skip)) yield return batch;
            epoch++;
            skip = 0;
        }
    }

    static CornerTargetBatch BuildTargets(DetectionBatch batch, TargetOptions options, ref int beyondCap)
    {
        var perImage = new List<CornerTargets>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            var boxes = batch.Boxes[i].Select((b, k) => new TargetBox(b.X1, b.Y1, b.X2, b.Y2, batch.Classes[i][k])).ToList();
            var targets = CornerTargets.Build(boxes, options);
            beyondCap += targets.ObjectsBeyondCap;
            perImage.Add(targets);
        }
        return CornerTargetBatch.Stack(perImage, batch.Images.device);
    }

    static AugmentationOptions Augmentation(CornerNetConfig config, bool augment)
    {
        var normalization = new ImageNormalization(config.Mean.Select(m => (float)m).ToArray(), config.Std.Select(s => (float)s).ToArray());
        var options = augment ? new AugmentationOptions() : new AugmentationOptions { RandomCrop = false, Flip = false, ColorJitter = false, Lighting = false };
        return options with { InputHeight = config.InputSize[0], InputWidth = config.InputSize[1], Normalization = normalization };
    }
}
