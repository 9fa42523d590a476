// Peak memory of one Hourglass-104 detection (random weights, folded BatchNorm, the Detector's path) on a random
// WIDTH×HEIGHT image, without the --max-size limit. Run ONE size per process and read the peak with
// /usr/bin/time -v (Maximum resident set size):
//   /usr/bin/time -v dotnet run -c Release --project experiments/inference-memory -- 2048 1536 [flip]
using System.Diagnostics;
using CornerNet;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Runtime;
using static TorchSharp.torch;

LargeAllocationReuse.Apply();
int width = int.Parse(args[0]), height = int.Parse(args[1]);
bool flip = args.Length > 2 && args[2] == "flip";
manual_seed(0);
var model = new CornerNetModel(ModelPresets.Get("hourglass104"));
var classes = Enumerable.Range(1, model.Config.Classes).Select(i => new ClassInfo(i, $"class{i}")).ToArray();
using var detector = new Detector(model, classes, new DetectionOptions { Flip = flip, MaxSize = null });
var image = new BgrImage(width, height);
new Random(1).NextBytes(image.Pixels);
var clock = Stopwatch.StartNew();
var found = detector.Detect(image);
Console.WriteLine($"hourglass104 {width}x{height} flip={flip}: {found.Count} detections in {clock.Elapsed.TotalSeconds:F1} s");
