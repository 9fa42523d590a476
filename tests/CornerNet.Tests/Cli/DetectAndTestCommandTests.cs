using System.Text.Json;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Tests.Cli;

public class DetectAndTestCommandTests
{
    static string MakeFixture(string root)
    {
        SyntheticShapesDataset.Write(Path.Combine(root, "data"), images: 3, seed: 9, new SyntheticShapes(size: 96, maxObjects: 3));
        manual_seed(0);
        var config = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count };
        using var model = new CornerNetModel(config);
        string modelPath = Path.Combine(root, "model.safetensors");
        ModelFile.Save(modelPath, model, SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
        return modelPath;
    }

    [Fact]
    public void DetectWritesDrawnImagesAndCocoResults()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-detect").FullName;
        try
        {
            string model = MakeFixture(root);
            string image = Path.Combine(root, "data", "images", "000001.png");
            string json = Path.Combine(root, "out", "dets.json");
            var (code, output, error) = CliRunner.Run("detect", model, image, "--out", Path.Combine(root, "drawn"), "--json", json, "--threshold", "0", "--flip");
            Assert.True(code == 0, error);
            Assert.Contains("000001.png:", output);
            Assert.True(File.Exists(Path.Combine(root, "drawn", "000001.png")));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
            foreach (var d in doc.RootElement.EnumerateArray())
            {
                Assert.Equal(1, d.GetProperty("image_id").GetInt64());
                Assert.InRange(d.GetProperty("category_id").GetInt32(), 1, 6);
                Assert.Equal(4, d.GetProperty("bbox").GetArrayLength());
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void DetectWithBatchSizeWritesTheSameResultsAsOneAtATime()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-detect-batch").FullName;
        try
        {
            string model = MakeFixture(root);
            var images = Enumerable.Range(1, 3).Select(n => Path.Combine(root, "data", "images", $"{n:D6}.png")).ToArray();
            string one = Path.Combine(root, "one.json"), batched = Path.Combine(root, "batched.json");
            var (code, _, error) = CliRunner.Run(["detect", model, .. images, "--json", one, "--threshold", "0"]);
            Assert.True(code == 0, error);
            (code, _, error) = CliRunner.Run(["detect", model, .. images, "--json", batched, "--threshold", "0", "--batch-size", "3"]);
            Assert.True(code == 0, error);
            var a = CocoDetectionsFile.Read(one).Detections;
            var b = CocoDetectionsFile.Read(batched).Detections;
            Assert.NotEmpty(a);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal((a[i].ImageId, a[i].CategoryId), (b[i].ImageId, b[i].CategoryId));
                Assert.Equal(a[i].Score, b[i].Score, 1e-5);
                Assert.Equal(a[i].Box.X, b[i].Box.X, 1e-3);
                Assert.Equal(a[i].Box.Height, b[i].Box.Height, 1e-3);
            }
            (code, _, error) = CliRunner.Run(["detect", model, images[0], "--batch-size", "0"]);
            Assert.Equal(2, code);
            Assert.Contains("--batch-size", error);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void TestCommandWritesDetectionsMetricsAndPlot()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-test").FullName;
        try
        {
            string model = MakeFixture(root);
            string metrics = Path.Combine(root, "metrics.json");
            var (code, output, error) = CliRunner.Run("test", model, "--gt", Path.Combine(root, "data", "annotations.json"),
                "--images", Path.Combine(root, "data", "images"), "--json", Path.Combine(root, "dets.json"),
                "--metrics", metrics, "--plot", Path.Combine(root, "pr.png"));
            Assert.True(code == 0, error);
            Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(metrics));
            foreach (var key in new[] { "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl", "per_class" })
                Assert.True(doc.RootElement.TryGetProperty(key, out _), $"metrics lack {key}");
            Assert.True(File.Exists(Path.Combine(root, "pr.png")));
            Assert.True(File.Exists(Path.Combine(root, "dets.json")));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void DetectorGivesTheSameResultForAFileAndItsBitmap()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-detector").FullName;
        try
        {
            string model = MakeFixture(root);
            string image = Path.Combine(root, "data", "images", "000002.png");
            using var detector = Detector.Load(model);
            Assert.Equal(InferenceEngine.Torch, detector.Engine);
            var fromFile = detector.Detect(image);
            using var bitmap = SkiaSharp.SKBitmap.Decode(image);
            var fromBitmap = detector.Detect(bitmap);
            using var stream = File.OpenRead(image);
            var fromStream = detector.Detect(stream, image);
            Assert.Equal(fromFile, fromBitmap);
            Assert.Equal(fromFile, fromStream);
            Assert.All(fromFile, d => Assert.Equal(SyntheticShapes.ClassNames[d.ClassIndex], d.ClassName));
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("detect")]
    [InlineData("test", "model.safetensors")]
    [InlineData("train", "--iterations", "notanumber")]
    public void BadUsageExitsWith2(params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("cornernet: ", error);
    }
}
