using CornerNet.Inference;
using System.Text.Json;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Tests.Cli;
using CornerNet.Tests.Inference;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Onnx;

public class ExportCommandTests
{
    static string MakeModel(string root)
    {
        SyntheticShapesDataset.Write(Path.Combine(root, "data"), images: 2, seed: 5, new SyntheticShapes(size: 96, maxObjects: 3));
        manual_seed(3);
        var config = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count };
        using var model = new CornerNetModel(config);
        string path = Path.Combine(root, "model.safetensors");
        ModelFile.Save(path, model, SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
        return path;
    }

    static List<DetectionMatching.Row> ReadRows(string json)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        return doc.RootElement.EnumerateArray().Select(d =>
        {
            var b = d.GetProperty("bbox").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            return new DetectionMatching.Row(d.GetProperty("category_id").GetInt32(), b[0], b[1], b[0] + b[2], b[1] + b[3], d.GetProperty("score").GetSingle());
        }).ToList();
    }

    [Fact]
    public void ExportThenDetectWithOnnxRunsOnTheExportedFile()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = MakeModel(root);
            string onnx = Path.Combine(root, "model.onnx");
            var (code, output, error) = CliRunner.Run("export", model, "--out", onnx, "--dynamic-size", "--max-size", "511");
            Assert.True(code == 0, error);
            Assert.Contains("wrote", output);
            using (var network = OnnxRuntimeNetwork.Load(onnx))
            {
                Assert.True(network.DynamicSize);
                Assert.Equal(SyntheticShapes.ClassNames, network.Classes.Select(c => c.Name));
            }
            string json = Path.Combine(root, "onnx.json");
            (code, output, error) = CliRunner.Run("detect", onnx, Path.Combine(root, "data", "images", "000001.png"),
                "--json", json, "--threshold", "0", "--flip", "--threads", "2", "--engine", "onnx");
            Assert.True(code == 0, error);
            Assert.Contains("000001.png:", output);
            Assert.NotEmpty(ReadRows(json));
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>
    /// On the reference small model (whose scores are well separated, unlike a random network's near-ties that soft-NMS
    /// orders by float noise) both engines give the same detections through the CLI.
    /// </summary>
    [FixtureFact]
    public void DetectWithOnnxGivesTheTorchDetections()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = Path.Combine(root, "small.safetensors");
            using (var scope = NewDisposeScope())
            using (var network = new CornerNetModel(ModelPresets.Small))
            {
                var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
                StateDictLoader.Load(network, weights, "small_cornernet.safetensors");
                ModelFile.Save(model, network, Enumerable.Range(1, 10).Select(i => new ClassInfo(i, $"class{i}")).ToArray());
            }
            string image = Path.Combine(root, "image.png");
            ImageEncoder.SavePng(ImagePreprocessorTests.SourceImage(ImagePreprocessorTests.TestFixture), image);
            string onnx = Path.Combine(root, "small.onnx");
            var (code, _, error) = CliRunner.Run("export", model, "--out", onnx, "--dynamic-size", "--max-size", "1023");
            Assert.True(code == 0, error);

            string torchJson = Path.Combine(root, "torch.json"), onnxJson = Path.Combine(root, "onnx.json");
            (code, _, error) = CliRunner.Run("detect", model, image, "--json", torchJson, "--threshold", "0", "--flip", "--threads", "2");
            Assert.True(code == 0, error);
            (code, _, error) = CliRunner.Run("detect", onnx, image, "--json", onnxJson, "--threshold", "0", "--flip", "--threads", "2", "--engine", "onnx");
            Assert.True(code == 0, error);
            var torchRows = ReadRows(torchJson);
            Assert.NotEmpty(torchRows);
            DetectionMatching.AssertOneToOne(torchRows, ReadRows(onnxJson), 1e-3, 1e-5);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void TestCommandRunsWithTheOnnxEngine()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = MakeModel(root);
            string onnx = Path.Combine(root, "model.onnx");
            var (code, _, error) = CliRunner.Run("export", model, "--out", onnx, "--dynamic-size", "--max-size", "511");
            Assert.True(code == 0, error);
            string metrics = Path.Combine(root, "metrics.json");
            (code, var output, error) = CliRunner.Run("test", onnx, "--engine", "onnx", "--threads", "2",
                "--gt", Path.Combine(root, "data", "annotations.json"), "--images", Path.Combine(root, "data", "images"),
                "--json", Path.Combine(root, "dets.json"), "--metrics", metrics, "--plot", Path.Combine(root, "pr.png"));
            Assert.True(code == 0, error);
            Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", output);
            Assert.True(File.Exists(metrics));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void DetectWithAFixedSizeExportThatDoesNotFitAsksForDynamicSize()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = MakeModel(root);
            string onnx = Path.Combine(root, "fixed.onnx");
            var (code, _, error) = CliRunner.Run("export", model, "--out", onnx, "--size", "255x255");
            Assert.True(code == 0, error);
            (code, _, error) = CliRunner.Run("detect", onnx, Path.Combine(root, "data", "images", "000001.png"), "--engine", "onnx");
            Assert.Equal(2, code);
            Assert.Contains("--dynamic-size", error);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void FixedSizeExportWritesTheRequestedSize()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = MakeModel(root);
            string onnx = Path.Combine(root, "fixed.onnx");
            var (code, output, error) = CliRunner.Run("export", model, "--out", onnx, "--size", "255x127", "--opset", "13");
            Assert.True(code == 0, error);
            Assert.Contains("1×3×255×127", output);
            using var scope = NewDisposeScope();
            using var network = OnnxRuntimeNetwork.Load(onnx);
            Assert.False(network.DynamicSize);
            Assert.Equal(new long[] { 1, SyntheticShapes.ClassNames.Count, 64, 32 }, network.Forward(zeros(1, 3, 255, 127)).TlHeats.shape);
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("corrupt")]
    [InlineData("bad-size")]
    [InlineData("bad-opset")]
    public void BadExportInputExitsWith2(string problem)
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = Path.Combine(root, "model.safetensors");
            if (problem == "corrupt") File.WriteAllText(model, "not a model");
            else if (problem != "missing") model = MakeModel(root);
            var extra = problem switch { "bad-size" => new[] { "--size", "500x500" }, "bad-opset" => new[] { "--opset", "9" }, _ => Array.Empty<string>() };
            var (code, _, error) = CliRunner.Run(["export", model, "--out", Path.Combine(root, "m.onnx"), .. extra]);
            Assert.Equal(2, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(root, "m.onnx")));
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("corrupt")]
    [InlineData("safetensors")]
    public void BadOnnxModelForDetectExitsWith2(string problem)
    {
        string root = Directory.CreateTempSubdirectory("cornernet-export").FullName;
        try
        {
            string model = problem == "safetensors" ? MakeModel(root) : Path.Combine(root, "model.onnx");
            if (problem == "corrupt") File.WriteAllText(model, "not an onnx model");
            if (problem != "safetensors") SyntheticShapesDataset.Write(Path.Combine(root, "data"), images: 1, seed: 5, new SyntheticShapes(size: 96, maxObjects: 1));
            var (code, _, error) = CliRunner.Run("detect", model, Path.Combine(root, "data", "images", "000001.png"), "--engine", "onnx");
            Assert.Equal(2, code);
            Assert.Contains(Path.GetFileName(model), error);
        }
        finally { Directory.Delete(root, true); }
    }
}
