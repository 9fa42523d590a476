using System.CommandLine;
using System.Text.Json;
using CornerNet.Benchmarks;
using CornerNet.Model;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet bench [--preset P] [--size S] [--batch N] [--runs N] [--warmup N] [--suite S] [--json FILE]</c>: times
/// the figures of the speed table (forward, flip test, decode, training step, evaluation, loader, corner pooling) on
/// random weights, one libtorch thread per core.
/// </summary>
public static class BenchCommand
{
    static readonly string[] SuiteNames = ["standard", "forward", "decode", "train", "evaluate", "loader", "corner-pool", "onnx"];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Architecture ({string.Join(", ", ModelPresets.Names)}), random weights.", DefaultValueFactory = _ => "hourglass104" };
        var size = new Option<int>("--size") { Description = "Square input side in pixels (128k − 1, e.g. 511).", DefaultValueFactory = _ => 511 };
        var batch = new Option<int>("--batch") { Description = "Batch size of the training step and the loader.", DefaultValueFactory = _ => 2 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per figure.", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up runs per figure.", DefaultValueFactory = _ => 1 };
        var suite = new Option<string>("--suite") { Description = $"What to measure: {string.Join(", ", SuiteNames)}.", DefaultValueFactory = _ => "standard" };
        suite.AcceptOnlyFromAmong(SuiteNames);
        var json = new Option<string?>("--json") { Description = "Also write the records and the machine description as JSON to this file.", HelpName = "FILE" };
        var command = new Command("bench", "Time forward, flip test, decode, training step, evaluation, loader and corner pooling (random weights).")
        {
            preset, size, batch, runs, warmup, suite, json,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
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
            };
            return Run(options, parse.GetValue(json));
        }));
        return command;
    }

    static BenchmarkSuite ParseSuite(string name) => name switch
    {
        "corner-pool" => BenchmarkSuite.CornerPool,
        _ => Enum.Parse<BenchmarkSuite>(name, ignoreCase: true),
    };

    static int Run(BenchmarkOptions options, string? jsonPath)
    {
        var records = new List<BenchmarkRecord>();
        var notes = new List<string>();
        MachineDescription? machine = null;
        foreach (var part in Parts(options))
        {
            var report = part.InChild ? RunTrainStepWithCap(options) : RunInProcess(part.Options);
            machine ??= report.Machine;
            records.AddRange(report.Records);
            notes.AddRange(report.Notes);
        }
        var m = machine!;
        Console.WriteLine($"machine: {m.Cpu}, {m.Cores} cores, {m.Threads} threads, libtorch {m.LibTorch}, oneDNN cap {m.OneDnnIsaCap ?? "none"}");
        if (jsonPath != null)
        {
            new BenchmarkReport { Machine = m, Records = records, Notes = notes }.WriteJson(jsonPath);
            Console.WriteLine($"results written to {jsonPath}");
        }
        return 0;
    }

    /// <summary>
    /// The whole run in this process, except when the oneDNN cap was lifted for inference and the standard suite also
    /// asks for the training step: that figure then runs in a child process with the AVX2 cap, because AVX-512
    /// convolution backward is wrong on the affected CPUs and a training step timed on it would not be a real one.
    /// </summary>
    static IEnumerable<(BenchmarkOptions Options, bool InChild)> Parts(BenchmarkOptions options)
    {
        if (options.Suite != BenchmarkSuite.Standard || !OneDnnIsaCap.IsLifted)
        {
            yield return (options, false);
            yield break;
        }
        foreach (var suite in new[] { BenchmarkSuite.Forward, BenchmarkSuite.Decode, BenchmarkSuite.Train, BenchmarkSuite.Evaluate, BenchmarkSuite.Loader, BenchmarkSuite.CornerPool })
            yield return (options with { Suite = suite }, suite == BenchmarkSuite.Train);
    }

    static BenchmarkReport RunInProcess(BenchmarkOptions options)
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

    /// <summary>Runs <c>cornernet bench --suite train</c> with the same settings in a child process capped at AVX2 and reads its records.</summary>
    static BenchmarkReport RunTrainStepWithCap(BenchmarkOptions options)
    {
        string json = Path.Combine(Path.GetTempPath(), $"cornernet-bench-train-{Guid.NewGuid():N}.json");
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var start = new System.Diagnostics.ProcessStartInfo(processPath) { UseShellExecute = false };
        // Run as `dotnet CornerNet.Cli.dll …` when this process was started that way.
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        foreach (string arg in new[]
        {
            "bench", "--suite", "train", "--preset", options.PresetName, "--size", $"{options.Size}", "--batch", $"{options.Batch}",
            "--runs", $"{options.Runs}", "--warmup", $"{options.Warmup}", "--json", json,
        })
            start.ArgumentList.Add(arg);
        start.Environment["ONEDNN_MAX_CPU_ISA"] = OneDnnIsaCap.DefaultCap;
        Console.WriteLine($"measuring the training step in a child process with ONEDNN_MAX_CPU_ISA={OneDnnIsaCap.DefaultCap}");
        try
        {
            using var child = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start the training-step benchmark");
            child.WaitForExit();
            if (child.ExitCode != 0) throw new InvalidOperationException($"the training-step benchmark exited with code {child.ExitCode}");
            return JsonSerializer.Deserialize<BenchmarkReport>(File.ReadAllText(json))
                ?? throw new InvalidOperationException("the training-step benchmark wrote no report");
        }
        finally
        {
            File.Delete(json);
        }
    }
}
