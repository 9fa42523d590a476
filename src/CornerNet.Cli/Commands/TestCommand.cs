using System.CommandLine;
using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Distributed;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Runtime;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet test MODEL --gt GT.json --images DIR [--json OUT.json] [--metrics FILE] [--plot FILE] [--out DIR]</c>:
/// detects on every image of a COCO dataset, evaluates the results with the pycocotools-exact evaluator and prints the
/// table; it writes the detections, the metrics and the PR plot only where asked (<c>--out DIR</c>: all three there), so
/// two identical runs never collide. Under <c>mpirun</c> the images are shared among the processes; rank 0 gathers the
/// detections and writes the files.
/// </summary>
public static class TestCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "Model file (.safetensors), or an exported .onnx file with --engine onnx." };
        var gt = new Option<FileInfo>("--gt") { Description = "COCO ground truth (instances JSON, .gz accepted).", Required = true };
        var images = new Option<DirectoryInfo>("--images") { Description = "Folder with the images named in the ground truth.", Required = true };
        var json = new Option<FileInfo?>("--json") { Description = "Write the detections (COCO results JSON) to this file." };
        var metricsFile = new Option<FileInfo?>("--metrics") { Description = "Write the metrics JSON to this file." };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write the precision/recall plot (PNG) to this file." };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"Write all three into this folder ({DetectionsName}, {MetricsName}, {PlotName}; --json, --metrics and --plot still name their own). Without any of these, nothing is written." };
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Skip unreadable images (reported at the end) instead of stopping." };
        var overwrite = OutputCheck.OverwriteOption();
        var detectionOptions = new DetectionCommandOptions();
        var command = new Command("test", "Detect on a whole COCO-format dataset, then evaluate with COCO metrics.") { model, gt, images, json, metricsFile, plot, output, skipBad, overwrite };
        detectionOptions.AddTo(command);
        command.SetAction(parse => MpiJob.Run(group =>
        {
            var options = detectionOptions.Read(parse);
            if (group.Size > 1 && parse.GetValue(detectionOptions.Threads) == 0) TorchRuntime.SetThreads(MpiJob.DefaultThreads());
            var dataset = CocoDataset.Open(parse.GetValue(gt)!.FullName, parse.GetValue(images)!.FullName);
            // Checked on every rank before the whole dataset is run, not after (only rank 0 writes, but all would lose
            // the work).
            string? folder = parse.GetValue(output)?.FullName;
            string? jsonPath = parse.GetValue(json)?.FullName ?? InFolder(folder, DetectionsName);
            string? metricsPath = parse.GetValue(metricsFile)?.FullName ?? InFolder(folder, MetricsName);
            string? plotPath = parse.GetValue(plot)?.FullName ?? InFolder(folder, PlotName);
            OutputCheck.Files(parse.GetValue(overwrite), [parse.GetValue(model)!.FullName, parse.GetValue(gt)!.FullName, .. Enumerable.Range(0, dataset.Count).Select(dataset.ImagePath)],
                jsonPath, metricsPath, plotPath);
            bool skip = parse.GetValue(skipBad);
            var bad = ImagePreflight.Check(Enumerable.Range(0, dataset.Count).Select(dataset.ImagePath).ToArray(), skip, "images");
            using var detector = Detector.Load(parse.GetValue(model)!.FullName, detectionOptions.Engine(parse), options);
            var shard = ShardedDetections.Shard(group, dataset.Count).Where(i => !bad.Contains(i)).ToList();
            var (mine, seconds) = DetectAll(detector, dataset, shard, detectionOptions.BatchSize(parse), skip, showProgress: group.Rank == 0);
            var gathered = ShardedDetections.Gather(group, mine);
            if (gathered is not { } result) return 0;
            var (detections, skippedImages) = result;
            skippedImages = [.. skippedImages.Concat(bad).Order()];
            int skipped = skippedImages.Count;
            // Skipped images are left out of the evaluation too: their boxes were never looked for.
            dataset = dataset.Without(skippedImages);

            if (jsonPath is not null) CocoDetectionsFile.Write(jsonPath, detections);
            var metrics = CocoEvaluator.Evaluate(dataset.Annotations, detections, jsonPath ?? "detections");
            foreach (var warning in metrics.Warnings) Console.Error.WriteLine($"warning: {warning}");
            foreach (var line in metrics.SummaryLines()) Console.WriteLine(line);
            var table = new Table().AddColumns("category", "AP");
            foreach (var id in metrics.CategoryIds)
            {
                double ap = metrics.PerClassAP[id];
                table.AddRow(Markup.Escape(dataset.Annotations.CategoryById[id].Name), ap < 0 ? "no GT" : CocoMetrics.FormatNumber(ap));
            }
            Terminal.Current().Write(table);
            if (metricsPath is not null) metrics.WriteJson(metricsPath);
            if (plotPath is not null) PrecisionRecallPlot.Save(plotPath, metrics);
            var written = new[] { ("detections", jsonPath), ("metrics", metricsPath), ("plot", plotPath) }
                .Where(w => w.Item2 is not null).Select(w => $"{w.Item1} {w.Item2}").ToList();
            Console.WriteLine($"{dataset.Count} image(s) in {seconds:F1} s ({dataset.Count / Math.Max(seconds, 1e-9):F2} images/s); " +
                (written.Count > 0 ? string.Join(", ", written) : "no files written (--out DIR, --json, --metrics or --plot write them)"));
            if (skipped > 0) Console.Error.WriteLine($"warning: {skipped} unreadable image(s) skipped and left out of the evaluation");
            return 0;
        }));
        return command;
    }

    const string DetectionsName = "detections.json";
    const string MetricsName = "metrics.json";
    const string PlotName = "precision_recall.png";

    static string? InFolder(string? folder, string name) => folder is null ? null : Path.Combine(folder, name);

    /// <summary>
    /// Detects images <paramref name="indices"/> of <paramref name="dataset"/>, <paramref name="batchSize"/> at a time
    /// (<see cref="DatasetDetection"/>), with a progress bar (a line per 5 % off a terminal): per image its
    /// detections, or null when skipped.
    /// </summary>
    static (List<(int Index, IReadOnlyList<CocoDetection>? Detections)> PerImage, double Seconds) DetectAll(
        Detector detector, CocoDataset dataset, IReadOnlyList<int> indices, int batchSize, bool skipBad, bool showProgress)
    {
        int downscaled = 0;
        void Count(ImageDetections _, BgrImage image)
        {
            if (detector.Options.DownscaleFactor(image.Width, image.Height) < 1) downscaled++;
        }
        var clock = Stopwatch.StartNew();
        IReadOnlyList<ImageDetections> results;
        if (!showProgress)
        {
            results = DatasetDetection.Run(detector, dataset, indices, batchSize, skipBad, Count);
        }
        else if (!Terminal.Interactive)
        {
            int every = Math.Max(1, indices.Count / 20), reported = 0;
            results = DatasetDetection.Run(detector, dataset, indices, batchSize, skipBad, Count, (done, total) =>
            {
                if (done / every > reported / every || done == total) Console.WriteLine($"detected {done}/{total} images");
                reported = done;
            });
        }
        else
        {
            results = [];
            Terminal.Current().Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("detecting", maxValue: indices.Count);
                    results = DatasetDetection.Run(detector, dataset, indices, batchSize, skipBad, Count, (done, _) => task.Value = done);
                });
        }
        foreach (var skipped in results.Where(r => r.SkipReason is not null))
            Console.Error.WriteLine($"warning: skipping {skipped.SkipReason}");
        if (downscaled > 0)
            Console.Error.WriteLine($"note: {downscaled} image(s) with a side above --max-size {detector.Options.MaxSize} were downscaled for the network; boxes are in the original pixels");
        var perImage = results.Select(r => (r.Index, r.Objects is null ? null : (IReadOnlyList<CocoDetection>)r.Objects.Select(o => o.ToCoco(r.ImageId)).ToList())).ToList();
        return (perImage, clock.Elapsed.TotalSeconds);
    }
}
