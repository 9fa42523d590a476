using System.CommandLine;
using CornerNet.Data;
using CornerNet.Inference;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet detect MODEL IMAGES… [--out DIR] [--json FILE] [--threshold T] [--flip] [--scales …] [--nms …] [--batch-size N]</c>,
/// or <c>cornernet detect MODEL VIDEO.mp4 --out ANNOTATED.mp4 [--every N] [--json FILE]</c>.
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
        var threshold = new Option<float>("--threshold") { Description = "Minimum score of a reported detection.", DefaultValueFactory = _ => 0.3f };
        var every = new Option<int>("--every") { Description = "Video: detect in every N-th frame; frames between keep the last boxes.", DefaultValueFactory = _ => 1 };
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Skip missing or unreadable images (listed by name) instead of stopping." };
        var testTime = new TestTimeOptions();
        var command = new Command("detect", "Detect objects in images with a model file.") { model, images, output, json, threshold, every, skipBad };
        testTime.AddTo(command);
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var options = testTime.Read(parse);
            var outDir = parse.GetValue(output);
            var jsonFile = parse.GetValue(json);
            float minScore = parse.GetValue(threshold);
            var files = parse.GetValue(images)!;
            bool skip = parse.GetValue(skipBad);
            if (files.Length == 1 && VideoDetection.IsVideo(files[0].Name))
            {
                using var videoDetector = Detector.Load(parse.GetValue(model)!.FullName, testTime.Engine(parse), options);
                // A video's --out names the annotated video file, not a folder.
                int frames = VideoDetection.Run(videoDetector, files[0].FullName, outDir?.FullName, jsonFile?.FullName, parse.GetValue(every), testTime.BatchSize(parse), minScore);
                Console.WriteLine($"{files[0].Name}: {frames} frames" + (outDir is null ? "" : $", annotated video {outDir.FullName}") + (jsonFile is null ? "" : $", detections {jsonFile.FullName}"));
                return 0;
            }
            // Every image is checked before anything is written, so a bad one in the list cannot leave half the drawings.
            var bad = ImagePreflight.Check(files.Select(f => f.FullName).ToArray(), skip, "images");
            if (outDir is not null) Directory.CreateDirectory(outDir.FullName);

            using var detector = Detector.Load(parse.GetValue(model)!.FullName, testTime.Engine(parse), options);
            var results = new List<CocoDetection>();
            int batchSize = testTime.BatchSize(parse);
            foreach (var chunk in Enumerable.Range(0, files.Length).Where(i => !bad.Contains(i)).Chunk(batchSize))
            {
                var decoded = new List<(int Index, BgrImage Image)>();
                foreach (int i in chunk)
                {
                    try
                    {
                        decoded.Add((i, ImageDecoder.Decode(files[i].FullName)));
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
                    if (TestTimeOptions.DownscaleNotice(files[i].Name, image.Width, image.Height, options) is string notice) Console.Error.WriteLine(notice);
                    var found = detections[k].Where(d => d.Score >= minScore).ToList();
                    Console.WriteLine($"{files[i].Name}: {found.Count} object(s)" +
                        (found.Count == 0 ? "" : " — " + string.Join(", ", found.Take(8).Select(d => $"{d.ClassName} {d.Score:F2}"))));
                    if (outDir is not null)
                        DetectionDrawing.Save(image, found, Path.Combine(outDir.FullName, Path.GetFileNameWithoutExtension(files[i].Name) + ".png"));
                    results.AddRange(found.Select(d => d.ToCoco(i + 1)));
                }
            }
            if (jsonFile is not null)
            {
                CocoDetectionsFile.Write(jsonFile.FullName, results);
                Console.WriteLine($"wrote {results.Count} detection(s) to {jsonFile.FullName}");
            }
            if (outDir is not null) Console.WriteLine($"drawn images in {outDir.FullName}");
            return 0;
        }));
        return command;
    }
}
