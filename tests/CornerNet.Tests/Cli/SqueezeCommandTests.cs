using System.Text.Json;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Cli;

/// <summary>The commands on CornerNet-Squeeze models: convert, forward, detect, test, export, train.</summary>
public class SqueezeCommandTests
{
    static string Lite => Path.Combine(Fixtures.Shared, "fixtures", "lite");

    [FixtureFact]
    public void ConvertedLiteCheckpointRunsForwardDetectTestAndExport()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-squeeze").FullName;
        try
        {
            string model = Path.Combine(dir, "squeeze.safetensors");
            var (code, output, error) = CliRunner.Run("convert", Path.Combine(Lite, "squeeze_small_legacy.pkl"), "--out", model);
            Assert.True(code == 0, error);
            Assert.Contains("family squeeze, stacks 2, levels 3, dims [32, 32, 32, 48]", output);
            Assert.Equal(CornerNetConfig.SqueezeFamily, ModelFile.ReadHeader(model).Config.Family);

            // forward --decode uses the Squeeze test settings: 100 detections, of which the official decoder keeps 15 valid.
            string input = Path.Combine(dir, "in.safetensors"), heads = Path.Combine(dir, "out.safetensors");
            var io = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small_io.safetensors"));
            using (var scope = NewDisposeScope())
                SafeTensorsFile.Write(input, new Dictionary<string, Tensor> { ["image"] = io.Load("image") });
            (code, _, error) = CliRunner.Run("forward", "--model", model, "--input", input, "--out", heads, "--decode");
            Assert.True(code == 0, error);
            using (var scope = NewDisposeScope())
            {
                var detections = SafeTensorsFile.Read(heads).Load("detections");
                Assert.Equal(new long[] { 1, 100, 8 }, detections.shape);
                Assert.Equal(15, detections.select(2, 4).gt(-1).sum().item<long>());
            }

            string photo = Path.Combine(Fixtures.Coco128, "images", "val2017", "000000000632.jpg");
            string json = Path.Combine(dir, "dets.json");
            (code, output, error) = CliRunner.Run("detect", model, photo, "--json", json, "--threshold", "0", "--flip");
            Assert.True(code == 0, error);
            using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
                Assert.NotEqual(0, doc.RootElement.GetArrayLength());

            string onnx = Path.Combine(dir, "squeeze.onnx");
            (code, _, error) = CliRunner.Run("export", model, "--out", onnx, "--dynamic-size", "--max-size", "767");
            Assert.True(code == 0, error);
            (code, _, error) = CliRunner.Run("detect", onnx, photo, "--engine", "onnx", "--threshold", "0");
            Assert.True(code == 0, error);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SqueezeTinyTrainsAndIsTested()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-squeeze-train").FullName;
        try
        {
            SyntheticShapesDataset.Write(Path.Combine(root, "data"), images: 4, seed: 4, new SyntheticShapes(size: 128, maxObjects: 3));
            string run = Path.Combine(root, "run");
            var (code, output, error) = CliRunner.Run("train", "--data", Path.Combine(root, "data"), "--preset", "squeeze-tiny",
                "--iterations", "3", "--batch-size", "2", "--workers", "1", "--out", run);
            Assert.True(code == 0, error);
            string model = Path.Combine(run, "model.safetensors");
            var (config, _) = ModelFile.ReadHeader(model);
            Assert.Equal(CornerNetConfig.SqueezeFamily, config.Family);
            var losses = File.ReadLines(Path.Combine(run, "losses.csv")).Skip(1)
                .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(3, losses.Length);
            Assert.All(losses, l => Assert.True(double.IsFinite(l) && l > 0, $"loss {l}"));

            (code, output, error) = CliRunner.Run("test", model, "--gt", Path.Combine(root, "data", "annotations.json"),
                "--images", Path.Combine(root, "data", "images"), "--json", Path.Combine(root, "dets.json"),
                "--metrics", Path.Combine(root, "metrics.json"), "--plot", Path.Combine(root, "pr.png"));
            Assert.True(code == 0, error);
            Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", output);
        }
        finally { Directory.Delete(root, true); }
    }
}
