using System.CommandLine;
using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Quantization;
using CornerNet.Runtime;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet quantize MODEL --calibration DIR|GT.json --out MODEL.int8.onnx [--images N] [--method
/// minmax|percentile|entropy] [--per-channel|--per-tensor] [--activations auto|uint8|int8] [--weight-range
/// auto|full|reduced] [--keep-float first,heads,PREFIX…] [--no-flip]</c>: an int8 QDQ ONNX model calibrated on
/// images, run by <c>detect</c>/<c>test --engine onnx</c> and <see cref="Detector"/>.
/// </summary>
public static class QuantizeCommand
{
    static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "Model file (.safetensors) or a float .onnx from 'cornernet export --dynamic-size'." };
        var calibration = new Option<FileSystemInfo>("--calibration")
        {
            Description = "Calibration images: a folder of images, or COCO ground truth (its images are read from the 'images' folder beside it, else its own folder).",
            Required = true,
        };
        var output = new Option<FileInfo>("--out") { Description = "int8 ONNX file to write (e.g. MODEL.int8.onnx).", Required = true };
        var images = new Option<int>("--images") { Description = "Number of calibration images (the first N, sorted by name).", DefaultValueFactory = _ => 32 }.InRange(1, 100_000);
        var method = new Option<string>("--method") { Description = "Activation ranges: minmax, percentile or entropy.", DefaultValueFactory = _ => "minmax" };
        var percentile = new Option<double>("--percentile") { Description = "Percentile of |x| kept by --method percentile.", DefaultValueFactory = _ => ActivationStatistics.DefaultPercentile }.InRange(0, 100, aboveMin: true);
        var perChannel = new Option<bool>("--per-channel") { Description = "int8 weights with one scale per output channel (the default)." };
        var perTensor = new Option<bool>("--per-tensor") { Description = "int8 weights with one scale per layer instead." };
        var activations = new Option<string>("--activations") { Description = "auto (whichever runs faster on this host, measured), uint8 or int8.", DefaultValueFactory = _ => "auto" };
        var weightRange = new Option<string>("--weight-range")
        {
            Description = "Weight range: auto (reduced on CPUs without VNNI/AMX, else full), full (int8) or reduced "
                + "(7-bit). The model is meant for CPUs of the kind it was quantized for.",
            DefaultValueFactory = _ => "auto",
        };
        var keepFloat = new Option<string[]>("--keep-float")
        {
            Description = "Convolutions kept in float: first, heads, layer-name prefixes (e.g. tl_cnvs kps.0.low2), or none (default: heads).",
            AllowMultipleArgumentsPerToken = true,
        };
        var noFlip = new Option<bool>("--no-flip") { Description = "Calibrate on the images only (default: image and mirror, as the flip test runs)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads (0: one per core).", DefaultValueFactory = _ => 0 }.InRange(0, OptionRanges.MaxThreads);
        var overwrite = OutputCheck.OverwriteOption();
        var command = new Command("quantize", "Calibrate a model on images and write an int8 (QDQ) ONNX model for ONNX Runtime.")
        {
            model, calibration, output, images, method, percentile, perChannel, perTensor, activations, weightRange,
            keepFloat, noFlip, threads, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            if (parse.GetValue(perChannel) && parse.GetValue(perTensor)) throw new InvalidInputException(null, "--per-channel and --per-tensor exclude each other");
            int count = parse.GetValue(images);
            var options = new QuantizationOptions
            {
                Method = parse.GetValue(method) switch
                {
                    "minmax" => CalibrationMethod.MinMax,
                    "percentile" => CalibrationMethod.Percentile,
                    "entropy" => CalibrationMethod.Entropy,
                    var other => throw new InvalidInputException(null, $"unknown --method '{other}' (minmax, percentile, entropy)"),
                },
                Percentile = parse.GetValue(percentile),
                PerChannel = !parse.GetValue(perTensor),
                Activations = parse.GetValue(activations) switch
                {
                    "auto" => null,
                    "uint8" => ActivationType.Uint8,
                    "int8" => ActivationType.Int8,
                    var other => throw new InvalidInputException(null, $"unknown --activations '{other}' (auto, uint8, int8)"),
                },
                WeightRange = ParseWeightRange(parse.GetValue(weightRange)),
                KeepFloat = parse.GetValue(keepFloat) is { Length: > 0 } names
                    ? names.SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries)).Where(k => k != "none").ToArray()
                    : new QuantizationOptions().KeepFloat,
                Test = new DetectionOptions { Flip = !parse.GetValue(noFlip) },
                Threads = parse.GetValue(threads),
            };
            TorchRuntime.SetThreads(options.Threads);
            var paths = CalibrationImages(parse.GetValue(calibration)!, count);
            string modelPath = parse.GetValue(model)!.FullName;
            string outPath = parse.GetValue(output)!.FullName;
            OutputCheck.Files(parse.GetValue(overwrite), [modelPath, parse.GetValue(calibration)!.FullName, .. paths], outPath);
            var clock = Stopwatch.StartNew();
            QuantizationReport report = null!;
            if (!Terminal.Interactive)
            {
                int every = Math.Max(1, paths.Count / 10);
                report = OnnxQuantizer.Quantize(modelPath, paths, outPath, options, done =>
                {
                    if (done % every == 0 || done == paths.Count) Console.WriteLine($"calibrated {done}/{paths.Count} images");
                });
            }
            else
            {
                Terminal.Current().Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask("calibrating", maxValue: paths.Count);
                        report = OnnxQuantizer.Quantize(modelPath, paths, outPath, options, done => task.Value = done);
                    });
            }
            string range = report.WeightRange.ToString().ToLowerInvariant();
            Console.WriteLine($"weights {range} range ({report.WeightRangeChoice})");
            Console.WriteLine($"activations {report.Activations.ToString().ToLowerInvariant()} ({report.ActivationChoice})");
            Console.WriteLine($"wrote {outPath} ({report.Bytes / 1e6:F1} MB; {report.QuantizedConvolutions} int8 convolutions, " +
                $"{report.FloatConvolutions.Count} float{(report.FloatConvolutions.Count > 0 ? ": " + string.Join(", ", report.FloatConvolutions.Take(6)) + (report.FloatConvolutions.Count > 6 ? ", …" : "") : "")}; " +
                $"{report.Images} calibration image(s)) in {clock.Elapsed.TotalSeconds:F1} s; run it with --engine onnx");
            return 0;
        }));
        return command;
    }

    /// <summary>The <c>--weight-range</c> value; anything else is refused naming the valid ones.</summary>
    internal static WeightRange ParseWeightRange(string? value) => value switch
    {
        "auto" => WeightRange.Auto,
        "full" => WeightRange.Full,
        "reduced" => WeightRange.Reduced,
        _ => throw new InvalidInputException(null, $"unknown --weight-range '{value}' (auto, full, reduced)"),
    };

    /// <summary>The first <paramref name="count"/> images of a folder (sorted by name) or of a COCO ground
    /// truth.</summary>
    static IReadOnlyList<string> CalibrationImages(FileSystemInfo source, int count)
    {
        List<string> paths;
        if (Directory.Exists(source.FullName))
        {
            paths = Directory.EnumerateFiles(source.FullName)
                .Where(p => ImageExtensions.Contains(Path.GetExtension(p).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToList();
            if (paths.Count == 0) throw new InvalidInputException(source.FullName, "no images (.jpg, .png, .bmp, .webp) in the calibration folder");
        }
        else if (File.Exists(source.FullName))
        {
            string folder = Path.GetDirectoryName(source.FullName)!;
            string images = Path.Combine(folder, "images");
            var dataset = CocoDataset.Open(source.FullName, Directory.Exists(images) ? images : folder);
            paths = Enumerable.Range(0, dataset.Count).Select(dataset.ImagePath).ToList();
            if (paths.Count == 0) throw new InvalidInputException(source.FullName, "the ground truth lists no images");
        }
        else
        {
            throw new InvalidInputException(source.FullName, "calibration folder or ground-truth file not found");
        }
        return paths.Take(count).ToList();
    }
}
