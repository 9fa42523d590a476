// The README's C# snippet ("C# API"), as a program: dotnet run -- MODEL IMAGE
using CornerNet.Inference;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: csharp-detect MODEL.safetensors IMAGE");
    return 2;
}

using var detector = Detector.Load(args[0]);          // DetectionOptions and Device are optional
foreach (var d in detector.Detect(args[1]))           // also: Stream, SKBitmap, BgrImage
    Console.WriteLine($"{d.ClassName} {d.Score:F2} [{d.X1:F0}, {d.Y1:F0}, {d.X2:F0}, {d.Y2:F0}]");
return 0;
