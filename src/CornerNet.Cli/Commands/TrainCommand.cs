using System.CommandLine;
using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Training;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary><c>cornernet train</c>: trains a model on a COCO-format dataset into a run folder; <c>--resume</c>
/// continues one.</summary>
public static class TrainCommand
{
    // The options a bare `cornernet train` gets: TrainOptions' own defaults, stated once.
    static readonly TrainOptions Defaults = new();

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "Dataset folder with annotations.json and images/ (as written by 'cornernet synth')." };
        var annotations = new Option<FileInfo?>("--annotations") { Description = "COCO instances JSON (instead of --data; the two exclude each other)." };
        var images = new Option<DirectoryInfo?>("--images") { Description = "Image folder for --annotations." };
        var valData = new Option<DirectoryInfo?>("--val-data") { Description = "Validation dataset folder (annotations.json + images/): loss and COCO AP at every --validate-every and at the end." };
        var preset = new Option<string>("--preset") { Description = $"Model preset: {string.Join(", ", ModelPresets.Names)}.", DefaultValueFactory = _ => "tiny" };
        var config = new Option<FileInfo?>("--config") { Description = "Model config JSON (overrides --preset; classes come from the dataset)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch (under mpirun: the whole job's batch, split across the processes).", DefaultValueFactory = _ => Defaults.BatchSize }.InRange(1, 4096);
        var chunkSizes = new Option<string?>("--chunk-sizes") { Description = "Under mpirun: images of each batch per process, e.g. 4,5,5 (default: as even as possible)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:K (under mpirun, cuda is cuda:<local rank>).", DefaultValueFactory = _ => "cpu" };
        var accumulate = new Option<int>("--accumulate") { Description = "Batches per optimizer step (gradient accumulation).", DefaultValueFactory = _ => Defaults.Accumulate }.InRange(1, 4096);
        var iterations = new Option<int>("--iterations") { Description = "Optimizer steps.", DefaultValueFactory = _ => Defaults.Iterations }.InRange(1, 100_000_000);
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => Defaults.LearningRate }.InRange(0, 1, aboveMin: true);
        var lrSteps = new Option<int[]>("--lr-step") { Description = "Iteration(s) after which the learning rate is multiplied by --lr-factor.", AllowMultipleArgumentsPerToken = true }.EachInRange(1, 100_000_000);
        var lrFactor = new Option<double>("--lr-factor") { Description = "Learning-rate decay factor.", DefaultValueFactory = _ => Defaults.LearningRateFactor }.InRange(0, 1, aboveMin: true);
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, data order and augmentation.", DefaultValueFactory = _ => Defaults.Seed };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint interval in iterations.", DefaultValueFactory = _ => Defaults.CheckpointEvery }.InRange(1, 100_000_000);
        var validateEvery = new Option<int>("--validate-every") { Description = "Validation interval in iterations (0: at the end only).", DefaultValueFactory = _ => Defaults.ValidateEvery }.InRange(0, 100_000_000);
        var radius = new Option<string>("--radius") { Description = "Heatmap radius rule: official (t = 0.3), legacy2018 (t = 0.7), fixed (2.5).", DefaultValueFactory = _ => Defaults.RadiusRule };
        var radiusValue = new Option<double?>("--radius-value") { Description = "IoU threshold for official/legacy2018, or the radius for fixed." }.InRange(0, 1000, aboveMin: true);
        var noPenalty = new Option<bool>("--no-penalty-reduction") { Description = "Ablation: no Gaussian penalty reduction around corners." };
        var noPooling = new Option<bool>("--no-corner-pooling") { Description = "Ablation: corner pooling off (same parameter count)." };
        var noAugment = new Option<bool>("--no-augment") { Description = "No random crop/scale, flip, colour or lighting augmentation." };
        var skipBadImages = new Option<bool>("--skip-bad-images") { Description = "Leave out training images that are missing or corrupt (counted in a warning) instead of stopping." };
        var workers = new Option<int>("--workers") { Description = "Loader threads (0: one per core).", DefaultValueFactory = _ => Defaults.Workers }.InRange(0, OptionRanges.MaxThreads);
        var precision = DetectionCommandOptions.NewPrecisionOption();
        precision.Description = "fp32, or bf16: mixed precision, convolutions (not the heads') in bfloat16 with float32 master weights, Adam moments, BatchNorm statistics and losses (kept by --resume).";
        precision.AcceptOnlyFromAmong("fp32", "bf16");
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: one per core).", DefaultValueFactory = _ => 0 }.InRange(0, OptionRanges.MaxThreads);
        var overwrite = OutputCheck.OverwriteOption("the files a former run wrote into a non-empty --out folder (listed in its .cornernet-outputs.json; other files are kept, and one the run would write is refused)");
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder to create (must be empty or absent unless --overwrite; never a dataset's or image folder, nor inside or around one).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"))) };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue the run in this folder with its saved options and datasets (recorded in the run's dataset.json; --data or --annotations/--images point to a moved copy of the same images, --val-data to another validation set; --iterations may change; --batch-size and --accumulate may change if their product stays the same, e.g. to resume on another number of processes; --skip-bad-images, --threads and --workers may change; other options that differ from the run's are refused)." };

        var command = new Command("train", "Train CornerNet on a COCO-format dataset.")
        {
            data, annotations, images, valData, preset, config, batch, chunkSizes, device, accumulate, iterations, lr, lrSteps, lrFactor, seed,
            checkpointEvery, validateEvery, radius, radiusValue, noPenalty, noPooling, noAugment, skipBadImages, workers, precision, threads, output, resume, overwrite,
        };
        var imageChecks = new ImagePreflight();
        imageChecks.AddTo(command);
        command.SetAction(parse => MpiJob.Run(group =>
        {
            bool lead = group.Rank == 0;
            int threadCount = parse.GetValue(threads);
            TorchRuntime.SetThreads(threadCount > 0 ? threadCount : MpiJob.DefaultThreads());
            imageChecks.ApplyLimits(parse);
            var resumeDir = parse.GetValue(resume);
            // A resumed run reads the datasets its folder records, unless given again (a moved copy: same images).
            var recorded = resumeDir is null ? null : RunDataset.Read(resumeDir.FullName);
            bool dataGiven = parse.GetValue(data) is not null || parse.GetValue(annotations) is not null
                || parse.GetValue(images) is not null;
            var train = dataGiven || resumeDir is null
                ? OpenDataset(parse.GetValue(data), parse.GetValue(annotations), parse.GetValue(images))
                : OpenRecorded(recorded, resumeDir.FullName);
            recorded?.CheckSame(train, resumeDir!.FullName);
            string? validationDir = parse.GetValue(valData)?.FullName ?? (resumeDir is null ? null : recorded?.Validation);
            var validation = validationDir is null ? null : OpenDataset(new DirectoryInfo(validationDir), null, null);
            if (lead)
                foreach (var warning in train.Warnings.Concat(validation?.Warnings ?? Array.Empty<string>()))
                    Console.Error.WriteLine($"warning: {warning}");

            TrainOptions options;
            string runDirectory;
            if (resumeDir is not null)
            {
                runDirectory = resumeDir.FullName;
                options = Trainer.ReadOptions(runDirectory);
                var changed = new List<string>();
                void Compare<T>(Option<T> option, object? saved, Func<T, object?> given)
                {
                    if (parse.GetResult(option) is { Implicit: false } && given(parse.GetValue(option)!) is var value && !Equals(value, saved))
                        changed.Add($"{option.Name}{(value is bool ? "" : $" {value}")} (the run has {saved})");
                }
                Compare(lr, options.LearningRate, v => v);
                Compare(lrSteps, string.Join(" ", options.LearningRateSteps), v => string.Join(" ", v ?? []));
                Compare(lrFactor, options.LearningRateFactor, v => v);
                Compare(seed, options.Seed, v => v);
                Compare(checkpointEvery, options.CheckpointEvery, v => v);
                Compare(validateEvery, options.ValidateEvery, v => v);
                Compare(radius, options.RadiusRule, v => v);
                Compare(radiusValue, options.RadiusValue, v => v);
                Compare(noPenalty, !options.PenaltyReduction, v => v);
                Compare(noAugment, !options.Augment, v => v);
                Compare(noPooling, !options.Model.CornerPooling, v => v);
                Compare(precision, options.Precision.ToString().ToLowerInvariant(), v => v);
                // The architecture and the folder are the run's own: giving them at all conflicts.
                foreach (var option in new Option[] { preset, config, output })
                    if (parse.GetResult(option) is { Implicit: false }) changed.Add($"{option.Name} (the run's model and folder are fixed)");
                if (changed.Count > 0)
                    throw new InvalidInputException(runDirectory, $"--resume keeps the run's options, and these differ: {string.Join(", ", changed)}; " +
                        "only --iterations, --skip-bad-images, --threads, --workers, --device, --chunk-sizes and --batch-size/--accumulate (same product) may change");
                if (parse.GetResult(workers) is { Implicit: false }) options = options with { Workers = parse.GetValue(workers) };
                options = WithBatchOverride(options, parse.GetResult(batch) is { Implicit: false } ? parse.GetValue(batch) : null,
                    parse.GetResult(accumulate) is { Implicit: false } ? parse.GetValue(accumulate) : null);
                // A resumed run may be extended (or stopped earlier) by giving --iterations again.
                if (parse.GetResult(iterations) is { Implicit: false }) options = options with { Iterations = parse.GetValue(iterations) };
            }
            else
            {
                runDirectory = parse.GetValue(output)!.FullName;
                var configFile = parse.GetValue(config);
                var model = configFile is null
                    ? ModelPresets.Get(parse.GetValue(preset)!)
                    : CornerNetConfig.FromJson(ReadText(configFile.FullName), configFile.FullName);
                model = model with { Classes = train.Classes.Count, CornerPooling = model.CornerPooling && !parse.GetValue(noPooling) };
                options = new TrainOptions
                {
                    Model = model,
                    BatchSize = parse.GetValue(batch),
                    Accumulate = parse.GetValue(accumulate),
                    Iterations = parse.GetValue(iterations),
                    LearningRate = parse.GetValue(lr),
                    LearningRateSteps = parse.GetValue(lrSteps) ?? Array.Empty<int>(),
                    LearningRateFactor = parse.GetValue(lrFactor),
                    Seed = parse.GetValue(seed),
                    CheckpointEvery = parse.GetValue(checkpointEvery),
                    ValidateEvery = parse.GetValue(validateEvery),
                    RadiusRule = parse.GetValue(radius)!,
                    RadiusValue = parse.GetValue(radiusValue),
                    PenaltyReduction = !parse.GetValue(noPenalty),
                    Augment = !parse.GetValue(noAugment),
                    SkipBadImages = parse.GetValue(skipBadImages),
                    Workers = parse.GetValue(workers),
                    Precision = DetectionCommandOptions.ParsePrecision(parse.GetValue(precision)),
                };
                if (lead && File.Exists(Path.Combine(runDirectory, "checkpoint.safetensors")))
                    throw new InvalidInputException(runDirectory, "already holds a training run; use --resume to continue it or choose another --out");
                if (options.RadiusRule != "fixed" && options.RadiusValue >= 1)
                    throw new InvalidInputException(null, $"--radius-value {options.RadiusValue} is an IoU threshold for --radius {options.RadiusRule}: it must be below 1");
            }
            // The run's files never mix with the data they are trained on.
            OutputCheck.FolderApartFrom(runDirectory, resumeDir is null ? "--out" : "--resume",
            [
                (parse.GetValue(data)?.FullName, "dataset folder"), (train.ImageDirectory, "image folder"),
                (Path.GetDirectoryName(train.Annotations.Path), "annotation file's folder"),
                (validationDir, "validation dataset folder"), (validation?.ImageDirectory, "validation image folder"),
            ]);
            // One writer per run folder, and a new run never writes over files that are there (unless --overwrite, and
            // then only over files a run wrote there, as its output list says).
            using var runLock = lead ? RunFolderLock.Take(runDirectory) : null;
            if (lead && resumeDir is null) OutputCheck.Folder(runDirectory, parse.GetValue(overwrite));
            var manifest = lead ? OutputManifest.Read(runDirectory) : null;
            string[] planned = [.. Trainer.OutputFiles, RunDataset.FileName];
            if (resumeDir is null) manifest?.Check(planned);

            // Bad images are found before training starts, not hours into it.
            if (parse.GetValue(skipBadImages)) options = options with { SkipBadImages = true };
            if (ImagePreflight.Check(Enumerable.Range(0, train.Count).Select(train.ImagePath).ToArray(), options.SkipBadImages, "training images").Count == train.Count)
                throw new InvalidInputException(train.Annotations.Path, "none of the training images can be read");
            if (validation is not null)
            {
                validation = validation.Without(ImagePreflight.Check(Enumerable.Range(0, validation.Count).Select(validation.ImagePath).ToArray(), options.SkipBadImages, "validation images").ToArray());
                if (validation.Count == 0) throw new InvalidInputException(validation.Annotations.Path, "none of the validation images can be read");
            }

            var trainer = new Trainer(options, train, train.Classes, runDirectory, validation)
            {
                Group = group,
                ChunkSizes = ParseChunkSizes(parse.GetValue(chunkSizes)),
                Device = MpiJob.ParseDevice(parse.GetValue(device)!, group),
            };
            // Written only now, when nothing is left to refuse: a refused run leaves no folder behind.
            if (resumeDir is null) manifest?.Claim(planned);
            else manifest?.Add(planned);
            if (lead) RunDataset.Of(train, validationDir).Write(runDirectory);
            using var cancel = new StopSignals("stopping after this iteration; writing a checkpoint…");
            try
            {
                trainer.Warning = w => Console.Error.WriteLine(group.Size > 1 ? $"warning: rank {group.Rank}: {w}" : $"warning: {w}");
                if (validation is not null) trainer.ValidationAP = model => ModelValidation.Evaluate(model, validation,
                    progress: (done, total) => trainer.ValidationProgress?.Invoke("validation AP", done, total)).AP;
                trainer.Validated = v => Console.WriteLine($"validation at {v.Iteration}: loss {v.Loss:F4}" + (v.AP is double ap ? $", AP {ap:F3}" : ""));
                int done = lead
                    ? TrainingProgressDisplay.Run(trainer, options.Iterations, resumeDir is not null, cancel.Token)
                    : trainer.Run(resumeDir is not null, cancel.Token);
                if (lead) Console.WriteLine(done == options.Iterations
                    ? $"done: {trainer.ModelPath}"
                    : $"stopped at iteration {done}; continue with: cornernet train --resume {runDirectory}");
                // 130 (128 + SIGINT) or 143 (SIGTERM) tells scripts that training stopped early, after saving.
                return done < options.Iterations && cancel.Token.IsCancellationRequested ? cancel.ExitCode : 0;
            }
            catch (TrainingDivergedException e)
            {
                Console.Error.WriteLine(group.Size > 1 ? $"cornernet: rank {group.Rank} of {group.Size}: {e.Message}" : $"cornernet: {e.Message}");
                return 1;
            }
            finally
            {
                // TensorBoard names its event files when it opens them.
                manifest?.Add(manifest.FilesIn(Trainer.TensorBoardFolder));
            }
        }));
        return command;
    }

    /// <summary>
    /// The saved options with a new batch size and accumulation for a resumed run. Their product, the images per
    /// optimizer step, must stay the same (so the data order does): 8 images on 2 processes may continue as 4 × 2 on
    /// one.
    /// </summary>
    static TrainOptions WithBatchOverride(TrainOptions saved, int? batchSize, int? accumulate)
    {
        if (batchSize is null && accumulate is null) return saved;
        var changed = saved with { BatchSize = batchSize ?? saved.BatchSize, Accumulate = accumulate ?? saved.Accumulate };
        if (changed.BatchSize * changed.Accumulate != saved.BatchSize * saved.Accumulate)
            throw new InvalidInputException(null, $"the run takes {saved.BatchSize * saved.Accumulate} images per step (--batch-size {saved.BatchSize} --accumulate {saved.Accumulate}); " +
                $"--batch-size {changed.BatchSize} --accumulate {changed.Accumulate} would take {changed.BatchSize * changed.Accumulate}");
        return changed;
    }

    static int[]? ParseChunkSizes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out sizes[i])) throw new InvalidInputException(null, $"--chunk-sizes '{text}' is not a comma-separated list of integers");
        return sizes;
    }

    /// <summary>A dataset from a folder (annotations.json + images/) or from an annotation file and an image
    /// folder.</summary>
    internal static CocoDataset OpenDataset(DirectoryInfo? folder, FileInfo? annotations, DirectoryInfo? images)
    {
        if (folder is not null && (annotations is not null || images is not null))
            throw new InvalidInputException(null, $"--data and {(annotations is not null ? "--annotations" : "--images")} " +
                "exclude each other: " +
                "--data DIR reads DIR/annotations.json and DIR/images; give either --data DIR or --annotations FILE --images DIR");
        if (folder is not null) return CocoDataset.Open(Path.Combine(folder.FullName, "annotations.json"), Path.Combine(folder.FullName, "images"));
        if (annotations is null || images is null) throw new InvalidInputException(null, "give --data DIR, or --annotations FILE with --images DIR");
        return CocoDataset.Open(annotations.FullName, images.FullName);
    }

    /// <summary>The training dataset a run folder records (for <c>--resume</c> without dataset options).</summary>
    static CocoDataset OpenRecorded(RunDataset? recorded, string runDirectory)
    {
        if (recorded is null)
        {
            // Not a run folder at all gets the run folder's own message.
            Trainer.ReadOptions(runDirectory);
            throw new InvalidInputException(runDirectory, $"records no dataset (a run started before {RunDataset.FileName} " +
                "was kept); give --data DIR or --annotations FILE --images DIR once, and it is recorded");
        }
        if (!File.Exists(recorded.Annotations))
            throw new InvalidInputException(recorded.Annotations, "the run's dataset is not there any more; give --data DIR " +
                "(or --annotations FILE --images DIR) where it is now");
        return CocoDataset.Open(recorded.Annotations, recorded.Images);
    }

    static string ReadText(string path)
    {
        InputFile.RequireRegular(path);
        return File.Exists(path)
            ? InputFile.ReadAllText(path, InputLimits.Default.MaxJsonBytes, "InputLimits.MaxJsonBytes")
            : throw new InvalidInputException(path, "file not found");
    }
}
