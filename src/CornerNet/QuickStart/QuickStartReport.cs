using System.Globalization;
using System.Text;
using CornerNet.Evaluation;
using CornerNet.Model;

namespace CornerNet.QuickStart;

/// <summary>Writes the quick start's <c>report.md</c>: what was trained, how long it took, the COCO numbers and the files.</summary>
public static class QuickStartReport
{
    /// <summary>Writes the report for <paramref name="result"/> to <paramref name="path"/> (temp name, then rename).</summary>
    public static void Write(string path, QuickStartOptions options, CornerNetConfig config, QuickStartResult result)
    {
        var m = result.Metrics;
        string F(double value) => CocoMetrics.FormatNumber(value);
        string Minutes(double seconds) => (seconds / 60).ToString("F1", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.AppendLine("# CornerNet quick start");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({TorchRuntime.Threads} libtorch threads), libtorch {TorchRuntime.LibTorchVersion}.");
        text.AppendLine();
        text.AppendLine("## What ran");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Data: synthetic shapes ({string.Join(", ", result.Classes.Select(c => c.Name))}), {options.ImageSize}×{options.ImageSize} px, at most {options.MaxObjects} per image; {options.TrainImages} training images (seed {options.TrainSeed}, in memory), {options.ValidationImages} held-out validation images (seed {options.ValidationSeed}, `validation/`).");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Model: the `{options.Preset}` preset ({config.Family} family, {config.Stacks} stack, {config.Levels} levels, dims {string.Join('-', config.Dims)}), input {config.InputSize[0]}, heatmaps {config.OutputSize[0]}×{config.OutputSize[1]}.");
        string drop = result.DropAfter is int d ? $"×0.1 after iteration {d}" : "no drop (training ended first)";
        text.AppendLine(CultureInfo.InvariantCulture, $"- Training: Adam, learning rate {options.LearningRate:G3} ({drop}), batch {options.BatchSize}, no augmentation, seed {options.Seed}: {result.Iterations} iterations, {result.ImagesSeen} images, {Minutes(result.TrainSeconds)} min ({result.ImagesSeen / Math.Max(result.TrainSeconds, 1e-9):F1} images/s).");
        text.AppendLine("- Test: single scale with horizontal flip, soft-NMS, 100 detections per image (the official single-scale procedure with its soft-NMS bugs fixed).");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Time: data {Minutes(result.DataSeconds)} min, training {Minutes(result.TrainSeconds)} min, detection and evaluation {Minutes(result.EvaluationSeconds)} min; total {Minutes(result.TotalSeconds)} min of a {options.Budget.TotalMinutes:G3}-minute budget.");
        text.AppendLine();
        text.AppendLine("## COCO metrics on the validation split");
        text.AppendLine();
        text.AppendLine("| AP | AP50 | AP75 | APs | APm | APl | AR1 | AR10 | AR100 |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        text.AppendLine($"| {F(m.AP)} | {F(m.AP50)} | {F(m.AP75)} | {F(m.APs)} | {F(m.APm)} | {F(m.APl)} | {F(m.AR1)} | {F(m.AR10)} | {F(m.AR100)} |");
        text.AppendLine();
        text.AppendLine("-1 means undefined (no object of that size: nothing reaches COCO's \"large\" 96² px at this image size).");
        text.AppendLine();
        text.AppendLine("| class | AP |");
        text.AppendLine("|---|---|");
        foreach (var c in result.Classes)
            text.AppendLine($"| {c.Name} | {(m.PerClassAP.TryGetValue(c.Id, out double ap) ? F(ap) : "–")} |");
        text.AppendLine();
        text.AppendLine("## Files");
        text.AppendLine();
        text.AppendLine("- `model.safetensors` — the trained model (a regular model file: `cornernet detect model.safetensors IMAGE…`).");
        text.AppendLine(CultureInfo.InvariantCulture, $"- `detections/` — the first {Math.Min(options.DrawnImages, options.ValidationImages)} validation images with detections scoring ≥ {options.DrawThreshold:G2}.");
        text.AppendLine("- `loss_curve.png`, `precision_recall.png` — training loss; precision against recall at IoU 0.5 and 0.75.");
        text.AppendLine("- `metrics.json`, `detections.json` — the COCO numbers above and the raw detections (COCO results format).");
        text.AppendLine("- `validation/` — the validation split as a COCO dataset; `run/` — the training run folder (checkpoint, losses.csv, TensorBoard events).");
        text.AppendLine();
        text.AppendLine("Score the model again: `cornernet test model.safetensors --gt validation/annotations.json --images validation/images`.");
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
