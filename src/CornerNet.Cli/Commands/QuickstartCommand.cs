using System.CommandLine;
using CornerNet.Evaluation;
using CornerNet.QuickStart;
using CornerNet.Runtime;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet quickstart [--minutes M] [--out DIR]</c>: synthetic data, a tiny model trained for the budget, COCO
/// evaluation on held-out images, and the model, drawings, plots, metrics and report in <c>out/quickstart</c>.
/// </summary>
public static class QuickstartCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var defaults = new QuickStartOptions();
        var minutes = new Option<double>("--minutes") { Description = "Wall-clock budget of the whole run in minutes (data, training, evaluation). The minimum is measured on this machine at the start (data generation, detection and evaluation, 5 s of training; under a minute with the defaults on a quiet 2-core machine, so 2 minutes work); a smaller budget is refused, before anything is written, with the minimum it needs.", DefaultValueFactory = _ => defaults.Budget.TotalMinutes }.InRange(0, 7 * 24 * 60, aboveMin: true);
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder (must be empty or absent unless --overwrite).", DefaultValueFactory = _ => new DirectoryInfo(defaults.OutputDirectory) };
        var trainImages = new Option<int>("--train-images") { Description = "Synthetic training images (generated in memory).", DefaultValueFactory = _ => defaults.TrainImages }.InRange(1, 1_000_000);
        var valImages = new Option<int>("--val-images") { Description = "Held-out synthetic validation images.", DefaultValueFactory = _ => defaults.ValidationImages }.InRange(1, 100_000);
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and data order.", DefaultValueFactory = _ => defaults.Seed };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: one per core).", DefaultValueFactory = _ => 0 }.InRange(0, OptionRanges.MaxThreads);
        var preset = new Option<string>("--preset") { Description = $"Model preset: {string.Join(", ", QuickStartOptions.PresetNames)}.", DefaultValueFactory = _ => defaults.Preset };
        var overwrite = OutputCheck.OverwriteOption("the files a former quickstart wrote into --out (listed in its .cornernet-outputs.json; other files are kept, and one the run would write is refused)");
        var command = new Command("quickstart", "Train a tiny CornerNet on synthetic shapes within a time budget, evaluate it and write a report (no downloads).")
        {
            minutes, output, trainImages, valImages, seed, threads, preset, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            TorchRuntime.SetThreads(parse.GetValue(threads));
            double budget = parse.GetValue(minutes);
            var options = defaults with
            {
                Budget = TimeSpan.FromMinutes(budget),
                OutputDirectory = parse.GetValue(output)!.FullName,
                TrainImages = parse.GetValue(trainImages),
                ValidationImages = parse.GetValue(valImages),
                Seed = parse.GetValue(seed),
                Preset = parse.GetValue(preset)!,
            };
            // One writer per folder, and what is there is replaced only with --overwrite, and then only the files a
            // quickstart wrote (its output list says which).
            using var folderLock = RunFolderLock.Take(options.OutputDirectory);
            OutputCheck.Folder(options.OutputDirectory, parse.GetValue(overwrite));
            var run = new QuickStartRun(options);
            var manifest = OutputManifest.Read(options.OutputDirectory);
            var planned = run.PlannedOutputs();
            manifest.Check(planned);
            // A budget too small is refused here, before anything is written.
            run.CheckBudget();
            manifest.Claim(planned);
            QuickStartResult result;
            bool refused = false;
            int stopped = 0;
            try
            {
                using var cancel = new StopSignals("stopping training early; evaluating what was trained…");
                result = Terminal.Interactive ? RunWithProgressBars(run, cancel.Token) : RunWithLines(run, cancel.Token);
                stopped = cancel.ExitCode;
            }
            catch (InvalidInputException)
            {
                // A refused run leaves nothing of its own behind.
                refused = true;
                manifest.RemoveCreated();
                throw;
            }
            finally
            {
                if (!refused) manifest.Add(manifest.FilesIn(QuickStartRun.TensorBoardFolder));
            }
            foreach (var line in result.Metrics.SummaryLines()) Console.WriteLine(line);
            var table = new Table().AddColumns("class", "AP");
            foreach (var c in result.Classes)
                table.AddRow(c.Name, result.Metrics.PerClassAP.TryGetValue(c.Id, out double ap) ? CocoMetrics.FormatNumber(ap) : "–");
            Terminal.Current().Write(table);
            Console.WriteLine($"validation AP {CocoMetrics.FormatNumber(result.Metrics.AP)} (AP50 {CocoMetrics.FormatNumber(result.Metrics.AP50)}) after {result.Iterations} iterations; " +
                $"{result.TotalSeconds / 60:F1} min in total");
            Console.WriteLine($"wrote {result.OutputDirectory}: model.safetensors, detections/, loss_curve.png, precision_recall.png, metrics.json, report.md");
            // Complete, but trained for less than the budget: 130 (Ctrl-C) or 143 (SIGTERM) tells scripts so.
            return stopped;
        }));
        return command;
    }

    static QuickStartResult RunWithLines(QuickStartRun run, CancellationToken cancel)
    {
        run.Status = s => Console.WriteLine(s);
        int lastTenth = -1;
        run.Trained = (p, share) =>
        {
            int tenth = (int)(share * 20);
            if (tenth == lastTenth) return;
            lastTenth = tenth;
            Console.WriteLine($"{share,4:P0}  {Describe(p)}");
        };
        return run.Run(cancel);
    }

    static QuickStartResult RunWithProgressBars(QuickStartRun run, CancellationToken cancel)
    {
        QuickStartResult? result = null;
        TrainingProgressDisplay.Bars().Start(context =>
            {
                var data = context.AddTask("generating data");
                var training = context.AddTask("training", autoStart: false, maxValue: 1);
                var detecting = context.AddTask("detecting", autoStart: false);
                run.Generated = (done, total) =>
                {
                    data.MaxValue = total;
                    data.Value = done;
                };
                run.Trained = (p, share) =>
                {
                    if (!training.IsStarted) training.StartTask();
                    training.Value = share;
                    training.Description = TrainingProgressDisplay.Fit($"it {p.Iteration}  loss {p.Loss:F3}  {p.ImagesPerSecond:F1} img/s");
                };
                run.Detected = (done, total) =>
                {
                    if (!detecting.IsStarted) detecting.StartTask();
                    training.Value = training.MaxValue;
                    detecting.MaxValue = total;
                    detecting.Value = done;
                };
                result = run.Run(cancel);
            });
        return result!;
    }

    // The iteration count is open-ended (the budget is time), so no total and no ETA here.
    static string Describe(Training.TrainingProgress p) => $"it {p.Iteration}  {TrainingProgressDisplay.LossAndRate(p)}";
}
