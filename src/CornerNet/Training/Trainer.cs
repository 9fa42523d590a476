using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Distributed;
using CornerNet.Layers;
using CornerNet.Model;
using CornerNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// Trains a CornerNet (paper §4.1): Adam, the loss of Eq. 8 summed over stacks for intermediate supervision, step
/// learning-rate decay, gradient accumulation. A run folder receives <c>checkpoint.safetensors</c> (every
/// <see cref="TrainOptions.CheckpointEvery"/> iterations, at the end, and on cancellation), <c>model.safetensors</c> at
/// the end, <c>train_options.json</c>, <c>losses.csv</c>, TensorBoard events and <c>loss_curve.png</c>. The data order
/// and augmentation depend only on the seed and the iteration, so <see cref="Run"/> with <c>resume</c> continues a run
/// exactly where its checkpoint left it.
/// <para>Data-parallel (<see cref="Group"/> of several processes): each batch of <see cref="TrainOptions.BatchSize"/>
/// images is split into <see cref="ChunkSizes"/>, each process loads and runs only its chunk, the gradients are summed
/// by <see cref="GradientAllReduce"/> after the backward passes, and rank 0 alone writes the run folder. The result is
/// that of one process with the same batches accumulated chunk by chunk. BatchNorm statistics are per process, as in
/// the official DataParallel; the saved ones are rank 0's.</para>
/// <para>With <see cref="TrainOptions.Precision"/> bf16 the forward pass runs its convolutions in bfloat16, the
/// heads' excepted (<see cref="MixedPrecision"/>); parameters, gradients (and so their all-reduce), Adam moments,
/// BatchNorm statistics, losses and the saved files stay float32.</para>
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

    /// <summary>Called during a validation's loss pass with the images done and the total (the caller's AP pass may
    /// report here too).</summary>
    public Action<string, int, int>? ValidationProgress { get; set; }

    /// <summary>Called after every validation.</summary>
    public Action<ValidationResult>? Validated { get; set; }

    /// <summary>Called with warnings (objects beyond the per-image cap, skipped images).</summary>
    public Action<string>? Warning { get; set; }

    /// <summary>Computes COCO AP of a model on the validation set (supplied by the caller, which owns
    /// detection).</summary>
    public Func<CornerNetModel, double>? ValidationAP { get; set; }

    /// <summary>The processes this run is spread over (default: this process alone). Rank 0 writes every
    /// output.</summary>
    internal IProcessGroup Group { get; init; } = SingleProcess.Instance;

    /// <summary>Images of each batch per process (null: as even as possible); see
    /// <see cref="Training.ChunkSizes"/>.</summary>
    public IReadOnlyList<int>? ChunkSizes { get; init; }

    /// <summary>Where the model runs (default: the CPU). Under MPI, each process is given its own.</summary>
    public Device? Device { get; init; }

    /// <summary>The files a run writes into its folder, besides the TensorBoard events in
    /// <see cref="TensorBoardFolder"/> (programs list them as their outputs).</summary>
    internal static IReadOnlyList<string> OutputFiles { get; } =
        ["train_options.json", "checkpoint.safetensors", "model.safetensors", "losses.csv", "loss_curve.png"];

    /// <summary>The run folder's subfolder of TensorBoard event files.</summary>
    internal const string TensorBoardFolder = "tensorboard";

    /// <summary>Path of the run's checkpoint.</summary>
    public string CheckpointPath => Path.Combine(_runDirectory, "checkpoint.safetensors");

    /// <summary>Path of the final model file.</summary>
    public string ModelPath => Path.Combine(_runDirectory, "model.safetensors");

    /// <summary>Prepares a run of <paramref name="options"/> on <paramref name="train"/> (class indices 0…C−1 matching
    /// <paramref name="classes"/>).</summary>
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
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new InvalidInputException(path, "not found: is this a training run folder?");
        string json = InputFile.ReadAllText(path, InputLimits.Default.MaxJsonBytes, "InputLimits.MaxJsonBytes");
        return TrainOptions.FromJson(json, path);
    }

    /// <summary>
    /// Trains until <see cref="TrainOptions.Iterations"/> or until <paramref name="cancel"/> fires (a checkpoint is
    /// written either way). With <paramref name="resume"/>, continues from the run folder's checkpoint. Returns the
    /// last iteration done.
    /// </summary>
    public int Run(bool resume = false, CancellationToken cancel = default)
    {
        var group = Group;
        bool lead = group.Rank == 0;
        var chunks = Training.ChunkSizes.Split(_options.BatchSize, group.Size, ChunkSizes);
        if (lead)
        {
            Directory.CreateDirectory(_runDirectory);
            AtomicFile.WriteAllText(Path.Combine(_runDirectory, "train_options.json"), _options.ToJson());
        }
        var config = _options.Model;
        var device = Device ?? CPU;

        manual_seed(_options.Seed);
        using var model = new CornerNetModel(config);
        model.to(device);
        using var optimizer = new AdamOptimizer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), _options.LearningRate);
        // Only rank 0 reads the checkpoint (other machines need not see the run folder); the state is then broadcast.
        int done = resume && lead ? TrainingCheckpoint.Load(CheckpointPath, model, optimizer, _options.Precision) : 0;
        using var reduction = group.Size > 1 ? new GradientAllReduce(group, optimizer.Parameters) : null;
        if (group.Size > 1)
        {
            Span<int> start = [done];
            group.AllReduceMax(start);
            done = start[0];
            GradientAllReduce.BroadcastState(group, model, optimizer);
        }
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
            Chunk = group.Size > 1 ? Training.ChunkSizes.ChunkOf(chunks, group.Rank) : null,
        });
        using var log = lead ? new LossLog(_runDirectory, done) : null;
        using var batches = BatchStream(loader, (long)done * _options.Accumulate).GetEnumerator();

        var clock = Stopwatch.StartNew();
        int startIteration = done;
        long images = 0;
        int beyondCap = 0;
        try
        {
            for (int iteration = done + 1; iteration <= _options.Iterations; iteration++)
            {
                // All processes stop at the same iteration (Ctrl-C may reach only some of them).
                Span<int> stop = [cancel.IsCancellationRequested ? 1 : 0];
                group.AllReduceMax(stop);
                if (stop[0] != 0) break;
                double rate = schedule.RateAt(iteration);
                optimizer.LearningRate = rate;
                optimizer.ZeroGrad();
                double total = 0, focal = 0, pull = 0, push = 0, offset = 0;
                long stepImages = 0;
                for (int a = 0; a < _options.Accumulate; a++)
                {
                    using var scope = NewDisposeScope();
                    batches.MoveNext();
                    using var batch = batches.Current;
                    // Each process weighs its chunk's loss by 1/(accumulate × processes with images), so that the
                    // summed gradients are the average over chunks, as one process accumulating them gets.
                    Span<int> active = [batch.Count > 0 ? 1 : 0];
                    group.AllReduceSum(active);
                    if (active[0] == 0)
                    {
                        // Every image of this batch was skipped: one process would not have seen the batch at all.
                        a--;
                        continue;
                    }
                    stepImages += batch.Count;
                    if (batch.Count == 0) continue;
                    double weight = 1.0 / (_options.Accumulate * active[0]);
                    var targets = BuildTargets(batch, targetOptions, device, ref beyondCap);
                    IReadOnlyList<HeadOutputs> stacks;
                    using (NetworkPrecision()) stacks = model.forward(batch.Images.to(device));
                    var parts = CornerNetLoss.Compute(
                        stacks,
                        targets, _options.PullWeight, _options.PushWeight, _options.OffsetWeight);
                    double value = parts.Total.item<float>();
                    if (!double.IsFinite(value))
                        throw new TrainingDivergedException(iteration, $"focal {parts.Focal.item<float>()}, pull {parts.Pull.item<float>()}, push {parts.Push.item<float>()}, offset {parts.Offset.item<float>()}");
                    using (var share = weight.ToScalar()) parts.Total.mul(share).backward();
                    total += value * weight;
                    focal += parts.Focal.item<float>() * weight;
                    pull += parts.Pull.item<float>() * weight;
                    push += parts.Push.item<float>() * weight;
                    offset += parts.Offset.item<float>() * weight;
                }
                if (group.Size > 1)
                {
                    reduction!.SumGradients();
                    // The logged losses are the averages over all chunks of the step.
                    Span<double> sums = [total, focal, pull, push, offset, stepImages];
                    group.AllReduceSum(sums);
                    (total, focal, pull, push, offset, stepImages) = (sums[0], sums[1], sums[2], sums[3], sums[4], (long)sums[5]);
                }
                images += stepImages;
                optimizer.Step();
                done = iteration;

                double seconds = clock.Elapsed.TotalSeconds;
                double perIteration = seconds / (iteration - startIteration);
                var progress = new TrainingProgress(iteration, _options.Iterations, total, focal, pull, push, offset, rate,
                    images / Math.Max(seconds, 1e-9), clock.Elapsed, TimeSpan.FromSeconds(perIteration * (_options.Iterations - iteration)));
                if (lead)
                {
                    log!.Add(progress);
                    Progress?.Invoke(progress);
                }

                if (beyondCap > 0)
                {
                    Warning?.Invoke($"{beyondCap} object(s) beyond the cap of {_options.MaxObjects} per image got no embedding/offset targets");
                    beyondCap = 0;
                }
                if (lead && iteration % _options.CheckpointEvery == 0 && iteration < _options.Iterations) SaveCheckpoint(model, optimizer, iteration, log!);
                // Validation runs on rank 0 alone; the others wait for it at the next step's first collective.
                if (lead && _validation != null && _options.ValidateEvery > 0 && iteration % _options.ValidateEvery == 0 && iteration < _options.Iterations)
                    Validate(model, targetOptions, iteration, log!);
            }
        }
        finally
        {
            // Also on cancellation and on errors other than divergence the progress so far is kept.
            if (lead && done > startIteration) SaveCheckpoint(model, optimizer, done, log!);
        }

        if (lead && done == _options.Iterations)
        {
            if (_validation != null) Validate(model, targetOptions, done, log!);
            ModelFile.Save(ModelPath, model, _classes);
            LossCurvePlot.Save(Path.Combine(_runDirectory, "loss_curve.png"), log!.Losses, log.ValidationLosses);
        }
        // The job's processes leave together: rank 0 may still be writing the model when the others finish.
        group.Barrier();
        if (loader.SkippedImages > 0) Warning?.Invoke($"{loader.SkippedImages} unreadable image(s) were skipped");
        return done;
    }

    /// <summary>In bf16 runs, the scope in which the forward pass runs its convolutions in bfloat16 (null in fp32
    /// runs).</summary>
    IDisposable? NetworkPrecision() => _options.Precision == Precision.Bf16 ? MixedPrecision.Enter() : null;

    void SaveCheckpoint(CornerNetModel model, AdamOptimizer optimizer, int iteration, LossLog log)
    {
        TrainingCheckpoint.Save(CheckpointPath, model, _classes, optimizer, iteration, _options.Precision);
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
                        var device = Device ?? CPU;
                        var targets = BuildTargets(batch, targetOptions, device, ref ignored);
                        HeadOutputs last;
                        using (NetworkPrecision()) last = model.forward(batch.Images.to(device))[^1];
                        var parts = CornerNetLoss.Compute(
                            new[] { last },
                            targets, _options.PullWeight, _options.PushWeight, _options.OffsetWeight);
                        sum += parts.Total.item<float>() * batch.Count;
                        count += batch.Count;
                        ValidationProgress?.Invoke("validation loss", count, _validation!.Count);
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

    /// <summary>Batches from <paramref name="firstBatch"/> on, epoch after epoch (the order depends only on seed and
    /// epoch).</summary>
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

    static CornerTargetBatch BuildTargets(DetectionBatch batch, TargetOptions options, Device device, ref int beyondCap)
    {
        var perImage = new List<CornerTargets>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            var targets = CornerTargets.Build(batch.Boxes[i], batch.Classes[i], options);
            beyondCap += targets.ObjectsBeyondCap;
            perImage.Add(targets);
        }
        return CornerTargetBatch.Stack(perImage, device);
    }

    static AugmentationOptions Augmentation(CornerNetConfig config, bool augment)
    {
        var options = augment ? new AugmentationOptions() : new AugmentationOptions { RandomCrop = false, Flip = false, ColorJitter = false, Lighting = false };
        // The family's official sampler decides whether the whole image may be taken (the CornerNet-Lite one has no
        // full-image crop).
        return options with
        {
            InputHeight = config.InputSize[0], InputWidth = config.InputSize[1], Normalization = config.Normalization,
            FullImageCrop = config.Family.FullImageCrop,
        };
    }
}
