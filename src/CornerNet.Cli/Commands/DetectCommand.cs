using System.CommandLine;
using CornerNet.Data;
using CornerNet.Inference;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet detect MODEL IMAGES… [--out DIR] [--json FILE] [--threshold T] [--flip] [--scales …] [--nms …]
/// [--batch-size N]</c>, or <c>cornernet detect MODEL VIDEO.mp4 --out ANNOTATED.mp4 [--every N] [--json FILE]</c>.
/// </summary>
public static class DetectCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "Model file (.safetensors), or an exported .onnx file with --engine onnx." };
        var images = new Argument<FileInfo[]>("images") { Description = "Image files (JPEG, PNG), or one video file (.mp4, .mkv, .avi, .mov, .webm).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for the images with boxes drawn (PNG); for a video, the annotated video file (.mp4)." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the detections as COCO results JSON (image_id = position in the list, from 1)." };
        var threshold = new Option<float>("--threshold") { Description = "Minimum score of a reported detection.", DefaultValueFactory = _ => 0.3f }.InRange(0, 1);
        var every = new Option<int>("--every") { Description = "Video: detect in every N-th frame; frames between keep the last boxes.", DefaultValueFactory = _ => 1 }.InRange(1, 1_000_000);
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Skip missing or unreadable images (listed by name) instead of stopping." };
        var overwrite = OutputCheck.OverwriteOption("existing drawings and --json");
        var detectionOptions = new DetectionCommandOptions();
        var command = new Command("detect", "Detect objects in images with a model file.") { model, images, output, json, threshold, every, skipBad, overwrite };
        detectionOptions.AddTo(command);
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var options = detectionOptions.Read(parse);
            var outDir = parse.GetValue(output);
            var jsonFile = parse.GetValue(json);
            float minScore = parse.GetValue(threshold);
            var files = parse.GetValue(images)!;
            bool skip = parse.GetValue(skipBad);
            string modelPath = parse.GetValue(model)!.FullName;
            if (files.Length == 1 && VideoDetection.IsVideo(files[0].Name))
            {
                // A video's --out names the annotated video file, not a folder.
                OutputCheck.Files(parse.GetValue(overwrite), [modelPath, files[0].FullName], [jsonFile?.FullName, outDir?.FullName]);
                using var videoDetector = Detector.Load(modelPath, detectionOptions.Engine(parse), options);
                int frames = VideoDetection.Run(videoDetector, files[0].FullName, outDir?.FullName, jsonFile?.FullName, parse.GetValue(every), detectionOptions.BatchSize(parse), minScore);
                Console.WriteLine($"{files[0].Name}: {frames} frames" + (outDir is null ? "" : $", annotated video {outDir.FullName}") + (jsonFile is null ? "" : $", detections {jsonFile.FullName}"));
                PrintShapesNote(videoDetector);
                return 0;
            }
            // --every thins a video's frames; on images it would do nothing, which a user would not expect.
            if (parse.GetResult(every) is { Implicit: false })
                throw new InvalidInputException(null,
                    "--every is for a video (one .mp4, .mkv, .avi, .mov or .webm file); every image is detected once");
            string[]? drawn = outDir is null ? null : DrawnNames(files).Select(n => Path.Combine(outDir.FullName, n)).ToArray();
            // Outputs are checked before any work: never onto an input, never over an existing file without
            // --overwrite.
            OutputCheck.Files(parse.GetValue(overwrite), [modelPath, .. files.Select(f => f.FullName)], [jsonFile?.FullName, .. drawn ?? []]);
            // Every image is checked before anything is written, so a bad one in the list cannot leave half the
            // drawings.
            var bad = ImagePreflight.Check(files.Select(f => f.FullName).ToArray(), skip, "images");

            using var detector = Detector.Load(modelPath, detectionOptions.Engine(parse), options);
            var results = new List<CocoDetection>();
            // Drawings go to temporary names and are renamed only when every image is done: a failed run replaces
            // nothing.
            var staged = new List<(string Temporary, string Final)>();
            bool outDirExisted = outDir is not null && Directory.Exists(outDir.FullName);
            try
            {
            int batchSize = detectionOptions.BatchSize(parse);
            foreach (var chunk in Enumerable.Range(0, files.Length).Where(i => !bad.Contains(i)).Chunk(batchSize))
            {
                var decoded = new List<(int Index, BgrImage Image)>();
                foreach (int i in chunk)
                {
                    try
                    {
                        var image = ImageDecoder.Decode(files[i].FullName);
                        options.RequireDownscalable(image.Width, image.Height, files[i].FullName);
                        decoded.Add((i, image));
                    }
                    catch (InvalidInputException e) when (skip)
                    {
                        // A header that reads well can still hold corrupt pixel data.
                        Console.Error.WriteLine($"warning: skipping {e.Message}");
                    }
                }
                var detections = detector.Detect(decoded.Select(d => d.Image).ToList(), batchSize);
                for (int k = 0; k < decoded.Count; k++)
                {
                    var (i, image) = decoded[k];
                    if (DetectionCommandOptions.DownscaleNotice(files[i].Name, image.Width, image.Height, options) is string notice) Console.Error.WriteLine(notice);
                    var found = detections[k].Where(d => d.Score >= minScore).ToList();
                    Console.WriteLine($"{files[i].Name}: {found.Count} object(s)" +
                        (found.Count == 0 ? "" : " — " + string.Join(", ", found.Take(Listed).Select(d => $"{d.ClassName} {d.Score:F2}"))) +
                        (found.Count > Listed ? $", and {found.Count - Listed} more" : ""));
                    if (drawn is not null)
                        staged.Add((AtomicFile.WriteTemporary(drawn[i], s => DetectionDrawing.WritePng(image, found, s)), drawn[i]));
                    results.AddRange(found.Select(d => d.ToCoco(i + 1)));
                }
            }
            if (jsonFile is not null)
            {
                CocoDetectionsFile.Write(jsonFile.FullName, results);
                Console.WriteLine($"wrote {results.Count} detection(s) to {jsonFile.FullName}");
            }
            foreach (var (temporary, final) in staged) AtomicFile.Commit(temporary, final);
            }
            finally
            {
                foreach (var (temporary, _) in staged) TemporaryFiles.Discard(temporary);
                if (outDir is not null && !outDirExisted && Directory.Exists(outDir.FullName) && !Directory.EnumerateFileSystemEntries(outDir.FullName).Any())
                    Directory.Delete(outDir.FullName);
            }
            if (outDir is not null) Console.WriteLine($"drawn images in {outDir.FullName}");
            // Last, so it is read after the listing: the shipped model finds shapes in any photo.
            PrintShapesNote(detector);
            return 0;
        }));
        return command;
    }

    /// <summary>The note for a model that knows only the synthetic shapes: one line under 100 characters, printed
    /// once by a detect run (one run is one process), however many images or frames it detects.</summary>
    public const string ShapesNote =
        "note: model knows only synthetic shapes; for COCO: cornernet convert CornerNet_500000.pkl (README)";

    static void PrintShapesNote(Detector detector)
    {
        if (detector.Classes.Select(c => c.Name).SequenceEqual(SyntheticShapes.ClassNames))
            Console.Error.WriteLine(ShapesNote);
    }

    /// <summary>Detections listed by name per image; the rest are counted.</summary>
    const int Listed = 8;

    /// <summary>One drawing name per input (NAME.png); inputs with the same name from different folders get NAME-2.png,
    /// NAME-3.png, ….</summary>
    internal static string[] DrawnNames(IReadOnlyList<FileInfo> files)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new string[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(files[i].Name);
            string name = stem + ".png";
            for (int k = 2; !used.Add(name); k++) name = $"{stem}-{k}.png";
            names[i] = name;
        }
        return names;
    }
}
