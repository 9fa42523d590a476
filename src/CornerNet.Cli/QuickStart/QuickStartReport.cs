using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using CornerNet.Evaluation;
using CornerNet.Model;
using CornerNet.Runtime;

namespace CornerNet.QuickStart;

/// <summary>Writes the quick start's <c>report.md</c>: what was trained, how long it took, the COCO numbers and the
/// files.</summary>
public static class QuickStartReport
{
    /// <summary>Writes the report for <paramref name="result"/> to <paramref name="path"/> (temp name, then
    /// rename).</summary>
    public static void Write(string path, QuickStartOptions options, CornerNetConfig config, QuickStartResult result) =>
        AtomicFile.WriteAllText(path, Fill(Template(), Values(options, config, result)));

    /// <summary>The report's text: QuickStartReport.md (embedded) with every <c>{name}</c> replaced by its
    /// value.</summary>
    internal static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Regex.Replace(template, @"\{([a-z0-9_]+)\}", match => values.TryGetValue(match.Groups[1].Value, out var value)
            ? value
            : throw new KeyNotFoundException($"QuickStartReport.md: no value for placeholder {match.Value}"));

    static string Template()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("CornerNet.QuickStart.QuickStartReport.md")
            ?? throw new InvalidOperationException("QuickStartReport.md is not embedded in CornerNet.Cli");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }

    static Dictionary<string, string> Values(QuickStartOptions options, CornerNetConfig config, QuickStartResult result)
    {
        var m = result.Metrics;
        var inv = CultureInfo.InvariantCulture;
        string F(double value) => CocoMetrics.FormatNumber(value);
        string Minutes(double seconds) => (seconds / 60).ToString("F1", inv);
        return new()
        {
            ["written"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", inv),
            ["cores"] = Environment.ProcessorCount.ToString(inv),
            ["threads"] = TorchRuntime.Threads.ToString(inv),
            ["libtorch"] = TorchRuntime.LibTorchVersion,
            ["class_names"] = string.Join(", ", result.Classes.Select(c => c.Name)),
            ["image_size"] = options.ImageSize.ToString(inv),
            ["max_objects"] = options.MaxObjects.ToString(inv),
            ["train_images"] = options.TrainImages.ToString(inv),
            ["train_seed"] = options.TrainSeed.ToString(inv),
            ["validation_images"] = options.ValidationImages.ToString(inv),
            ["validation_seed"] = options.ValidationSeed.ToString(inv),
            ["preset"] = options.Preset,
            ["family"] = config.Family.ToString(),
            ["stacks"] = config.Stacks.ToString(inv),
            ["levels"] = config.Levels.ToString(inv),
            ["dims"] = string.Join('-', config.Dims),
            ["input_size"] = config.InputSize[0].ToString(inv),
            ["output_height"] = config.OutputSize[0].ToString(inv),
            ["output_width"] = config.OutputSize[1].ToString(inv),
            ["learning_rate"] = options.LearningRate.ToString("G3", inv),
            ["drop"] = result.DropAfter is int d ? $"×0.1 after iteration {d.ToString(inv)}" : "no drop (training ended first)",
            ["batch_size"] = options.BatchSize.ToString(inv),
            ["seed"] = options.Seed.ToString(inv),
            ["iterations"] = result.Iterations.ToString(inv),
            ["images_seen"] = result.ImagesSeen.ToString(inv),
            ["images_per_second"] = (result.ImagesSeen / Math.Max(result.TrainSeconds, 1e-9)).ToString("F1", inv),
            ["data_minutes"] = Minutes(result.DataSeconds),
            ["train_minutes"] = Minutes(result.TrainSeconds),
            ["evaluation_minutes"] = Minutes(result.EvaluationSeconds),
            ["total_minutes"] = Minutes(result.TotalSeconds),
            ["budget_minutes"] = options.Budget.TotalMinutes.ToString("G3", inv),
            ["ap"] = F(m.AP), ["ap50"] = F(m.AP50), ["ap75"] = F(m.AP75),
            ["aps"] = F(m.APs), ["apm"] = F(m.APm), ["apl"] = F(m.APl),
            ["ar1"] = F(m.AR1), ["ar10"] = F(m.AR10), ["ar100"] = F(m.AR100),
            ["class_rows"] = string.Join("\n", result.Classes.Select(c =>
                $"| {c.Name} | {(m.PerClassAP.TryGetValue(c.Id, out double ap) ? F(ap) : "–")} |")),
            ["drawn_images"] = Math.Min(options.DrawnImages, options.ValidationImages).ToString(inv),
            ["draw_threshold"] = options.DrawThreshold.ToString("G2", inv),
        };
    }
}
