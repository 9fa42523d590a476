using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CornerNet.Model;
using CornerNet.Onnx;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet export MODEL.safetensors --out MODEL.onnx [--opset N] [--dynamic-size [--max-size N]] [--size HxW]</c>:
/// a model file → a standard ONNX model (eval mode, BatchNorm folded, the six raw heads), runnable by ONNX Runtime and
/// by
/// <c>detect</c>/<c>test --engine onnx</c>.
/// </summary>
public static class ExportCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "Model file (.safetensors)." };
        var output = new Option<FileInfo>("--out") { Description = "ONNX file to write (.onnx).", Required = true };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset ({OnnxExportOptions.MinOpset}–{OnnxExportOptions.MaxOpset}).",
            DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset,
        }.InRange(OnnxExportOptions.MinOpset, OnnxExportOptions.MaxOpset);
        var dynamicSize = new Option<bool>("--dynamic-size") { Description = "Symbolic batch, height and width (needed by detect/test --engine onnx, whose input size follows each image)." };
        var size = new Option<string?>("--size") { Description = "Fixed input size HxW, e.g. 511x511 (default: the model's input_size); each side 128k − 1 for Hourglass-104." };
        var maxSize = new Option<int>("--max-size") { Description = "With --dynamic-size: the largest input side the graph accepts (corner pooling is unrolled for it).", DefaultValueFactory = _ => OnnxExportOptions.DefaultMaxInputSide }.InRange(8, 65536);
        var overwrite = OutputCheck.OverwriteOption();
        var command = new Command("export", "Export a model file as an ONNX model (standard operators only) for ONNX Runtime and other runtimes.")
        {
            model, output, opset, dynamicSize, size, maxSize, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string input = parse.GetValue(model)!.FullName;
            string outPath = parse.GetValue(output)!.FullName;
            OutputCheck.Files(parse.GetValue(overwrite), [input], outPath);
            bool dynamic = parse.GetValue(dynamicSize);
            string? sizeText = parse.GetValue(size);
            if (dynamic && sizeText is not null) throw new InvalidInputException(null, "--size and --dynamic-size exclude each other");
            if (!dynamic && parse.GetResult(maxSize) is { Implicit: false })
                throw new InvalidInputException(null,
                    "--max-size sets the largest side of a --dynamic-size graph; give --dynamic-size, or --size HxW for a fixed size");
            int maxSide = new InputLimits().MaxImageSide;
            if (parse.GetValue(maxSize) > maxSide)
                throw new InvalidInputException(null, $"--max-size {parse.GetValue(maxSize)} is beyond the input limits: each side at most {maxSide} pixels");
            int[]? fixedSize = sizeText is null ? null : WithinInputLimits(ParseSize(sizeText), sizeText);
            var options = new OnnxExportOptions
            {
                Opset = parse.GetValue(opset),
                DynamicSize = dynamic,
                InputSize = fixedSize,
                MaxInputSide = parse.GetValue(maxSize),
            };
            var clock = Stopwatch.StartNew();
            var (network, classes) = ModelFile.Load(input);
            using (network) OnnxExporter.Export(network, classes, outPath, options);
            long bytes = new FileInfo(outPath).Length;
            string shape = dynamic ? $"N×3×H×W (sides up to {options.MaxInputSide})" : $"1×3×{string.Join("×", options.FixedInputSize(network.Config))}";
            Console.WriteLine($"wrote {outPath} ({bytes / 1e6:F1} MB, opset {options.Opset}, input {shape}) in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    static int[] ParseSize(string text)
    {
        var parts = text.Split('x', 'X', '×');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int height)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int width)
            && height > 0 && width > 0)
            return [height, width];
        throw new InvalidInputException(null, $"--size '{text}' is not HxW (e.g. 511x511)");
    }

    /// <summary>A fixed size whose sides an input image may have (<see cref="InputLimits.MaxImageSide"/>): a graph for
    /// a larger input could never be fed.</summary>
    static int[] WithinInputLimits(int[] size, string text)
    {
        int maxSide = new InputLimits().MaxImageSide;
        if (size[0] > maxSide || size[1] > maxSide)
            throw new InvalidInputException(null,
                $"--size {text} is beyond the input limits: each side at most {maxSide} pixels");
        return size;
    }
}
