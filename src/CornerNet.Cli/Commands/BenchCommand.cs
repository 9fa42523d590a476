using System.CommandLine;
using System.Text.Json;
using CornerNet.Benchmarks;
using CornerNet.Model;
using CornerNet.Runtime;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet bench [--preset P] [--size S] [--batch N] [--runs N] [--warmup N] [--suite S] [--model M] [--json
/// FILE]</c>: times the figures of the speed table (forward, flip test, decode, training step, evaluation, loader,
/// corner pooling) on random weights, one libtorch thread per core.
/// </summary>
public static class BenchCommand
{
    static readonly string[] SuiteNames = ["standard", "forward", "decode", "train", "evaluate", "loader", "corner-pool", "onnx", "int8", "batch", "serve"];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Architecture ({string.Join(", ", ModelPresets.Names)}), random weights.", DefaultValueFactory = _ => "hourglass104" };
        var size = new Option<int>("--size") { Description = "Square input side in pixels (128k − 1, e.g. 511).", DefaultValueFactory = _ => 511 }.InRange(8, 4096);
        var batch = new Option<int>("--batch") { Description = "Batch size of the training step and the loader.", DefaultValueFactory = _ => 2 }.InRange(1, 256);
        var runs = new Option<int>("--runs") { Description = "Timed runs per figure.", DefaultValueFactory = _ => 3 }.InRange(1, 10_000);
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up runs per figure.", DefaultValueFactory = _ => 1 }.InRange(0, 10_000);
        var suite = new Option<string>("--suite") { Description = $"What to measure: {string.Join(", ", SuiteNames)}.", DefaultValueFactory = _ => "standard" };
        suite.AcceptOnlyFromAmong(SuiteNames);
        var model = new Option<string>("--model") { Description = "serve suite: the model to serve (the samples/images beside its folder are sent).", DefaultValueFactory = _ => Path.Combine("models", "shapes-tiny.safetensors") };
        var json = new Option<string?>("--json") { Description = "Also write the records and the machine description as JSON to this file.", HelpName = "FILE" };
        var overwrite = OutputCheck.OverwriteOption();
        var precision = DetectionCommandOptions.NewPrecisionOption();
        var layout = DetectionCommandOptions.NewLayoutOption();
        layout.Description = "Memory layout of the default forward records (forward_…, forward_…_bf16, forward_flip_…) and the batch suite: auto (this host's choice), nchw or channels-last; the forward suite also records both layouts (…_nchw, …_channels_last).";
        precision.Description = "Network precision of the batch and serve suites (fp32, bf16, auto); the forward suite records fp32 and bf16 (forward_…_bf16) either way.";
        var command = new Command("bench", "Time forward, flip test, decode, training step, evaluation, loader and corner pooling (random weights).")
        {
            preset, size, batch, runs, warmup, suite, model, json, overwrite, precision, layout,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            OutputCheck.Files(parse.GetValue(overwrite), [], parse.GetValue(json));
            if (parse.GetValue(suite) == "serve")
            {
                string modelPath = Path.GetFullPath(parse.GetValue(model)!);
                string samples = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(modelPath)!)!, "samples", "images");
                return Report(ServeBenchmark.Run(modelPath, samples, DetectionCommandOptions.ParsePrecision(parse.GetValue(precision)), Console.WriteLine, r => Console.WriteLine(r.ToString())), parse.GetValue(json));
            }
            string presetName = parse.GetValue(preset)!.ToLowerInvariant();
            var options = new BenchmarkOptions
            {
                PresetName = presetName.Replace("-", "", StringComparison.Ordinal),
                Config = ModelPresets.Get(presetName),
                Size = parse.GetValue(size),
                Batch = parse.GetValue(batch),
                Runs = parse.GetValue(runs),
                Warmup = parse.GetValue(warmup),
                Suite = ParseSuite(parse.GetValue(suite)!),
                Precision = DetectionCommandOptions.ParsePrecision(parse.GetValue(precision)),
                Layout = DetectionCommandOptions.ParseLayout(parse.GetValue(layout)),
            };
            return Run(options, parse.GetValue(json));
        }));
        return command;
    }

    static BenchmarkSuite ParseSuite(string name) => name switch
    {
        "corner-pool" => BenchmarkSuite.CornerPool,
        "serve" => throw new InvalidOperationException("the serve suite runs in the CLI (ServeBenchmark)"),
        _ => Enum.Parse<BenchmarkSuite>(name, ignoreCase: true),
    };

    static int Run(BenchmarkOptions options, string? jsonPath) => Report(Measure(options), jsonPath);

    static int Report(BenchmarkReport report, string? jsonPath)
    {
        var m = report.Machine;
        Console.WriteLine($"machine: {m.Cpu}, {m.Cores} cores, {m.Threads} threads, libtorch {m.LibTorch}, oneDNN cap {m.OneDnnIsaCap ?? "none"}");
        if (jsonPath != null)
        {
            report.WriteJson(jsonPath);
            Console.WriteLine($"results written to {jsonPath}");
        }
        return 0;
    }

    static BenchmarkReport Measure(BenchmarkOptions options)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return new BenchmarkRunner(options, status: Console.WriteLine, measured: r => Console.WriteLine(r.ToString())).Run();
        BenchmarkReport report = null!;
        AnsiConsole.Status().Start("starting", context =>
        {
            report = new BenchmarkRunner(options,
                status: line => context.Status(Markup.Escape(line)),
                measured: r => AnsiConsole.WriteLine(r.ToString())).Run();
        });
        foreach (string note in report.Notes) AnsiConsole.WriteLine(note);
        return report;
    }
}
