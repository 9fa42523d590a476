using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Quantization;
using CornerNet.Tests.Cli;
using static TorchSharp.torch;

namespace CornerNet.Tests.Quantization;

public class QuantizeCommandTests
{
    static string MakeModel(string root)
    {
        SyntheticShapesDataset.Write(Path.Combine(root, "data"), images: 3, seed: 5, new SyntheticShapes(size: 96, maxObjects: 3));
        manual_seed(3);
        using var model = new CornerNetModel(ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count });
        string path = Path.Combine(root, "model.safetensors");
        ModelFile.Save(path, model, SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
        return path;
    }

    [Fact]
    public void QuantizeThenDetectAndTestRunTheInt8Model()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-quantize").FullName;
        try
        {
            string model = MakeModel(root);
            string int8 = Path.Combine(root, "model.int8.onnx");
            // Calibration from a COCO ground truth (its images folder beside it), two of its three images.
            var (code, output, error) = CliRunner.Run("quantize", model, "--calibration", Path.Combine(root, "data", "annotations.json"),
                "--out", int8, "--images", "2", "--method", "percentile", "--threads", "2");
            Assert.True(code == 0, error);
            Assert.Contains("calibrated 2/2 images", output);
            Assert.Contains("int8 convolutions", output);
            // auto is resolved from this host's CPU flags and said so.
            var range = AutoWeightRange.For(WeightRange.Auto).Chosen;
            Assert.Contains($"weights {range.ToString().ToLowerInvariant()} range (auto: this CPU", output);
            Assert.True(File.Exists(int8));

            string json = Path.Combine(root, "int8.json");
            (code, output, error) = CliRunner.Run("detect", int8, Path.Combine(root, "data", "images", "000001.png"),
                "--json", json, "--threshold", "0", "--flip", "--threads", "2", "--engine", "onnx");
            Assert.True(code == 0, error);
            Assert.Contains("000001.png:", output);
            Assert.Contains("\"bbox\"", File.ReadAllText(json));

            (code, output, error) = CliRunner.Run("test", int8, "--gt", Path.Combine(root, "data", "annotations.json"), "--images", Path.Combine(root, "data", "images"),
                "--json", Path.Combine(root, "dets.json"), "--metrics", Path.Combine(root, "metrics.json"), "--plot", Path.Combine(root, "pr.png"),
                "--threads", "2", "--engine", "onnx");
            Assert.True(code == 0, error);
            Assert.Contains("Average Precision", output);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void BadInputsGiveOneLineErrorsAndExitCode2()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-quantize").FullName;
        try
        {
            string model = MakeModel(root);
            string images = Path.Combine(root, "data", "images");
            string empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
            string junk = Path.Combine(root, "junk.onnx");
            File.WriteAllText(junk, "not a model");
            string corrupt = Path.Combine(root, "corrupt");
            Directory.CreateDirectory(corrupt);
            File.WriteAllText(Path.Combine(corrupt, "a.png"), "not an image");
            string int8 = Path.Combine(root, "model.int8.onnx");
            Assert.Equal(0, CliRunner.Run("quantize", model, "--calibration", images, "--out", int8, "--images", "1", "--activations", "uint8").ExitCode);

            var cases = new (string[] Args, string Expected)[]
            {
                (["quantize", Path.Combine(root, "missing.safetensors"), "--calibration", images, "--out", Path.Combine(root, "o.onnx")], "not found"),
                (["quantize", model, "--calibration", Path.Combine(root, "nowhere"), "--out", Path.Combine(root, "o.onnx")], "not found"),
                (["quantize", model, "--calibration", empty, "--out", Path.Combine(root, "o.onnx")], "no images"),
                (["quantize", model, "--calibration", corrupt, "--out", Path.Combine(root, "o.onnx")], "a.png"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"), "--method", "kl"], "--method"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"), "--activations", "int4"], "--activations"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"), "--images", "0"], "--images"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"),
                    "--weight-range", "7bit"],
                    "unknown --weight-range '7bit' (auto, full, reduced)"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"), "--per-channel", "--per-tensor"], "exclude"),
                (["quantize", model, "--calibration", images, "--out", Path.Combine(root, "o.onnx"), "--keep-float", "pre", "kps", "cnvs", "tl_", "br_"], "no convolution"),
                (["quantize", junk, "--calibration", images, "--out", Path.Combine(root, "o.onnx")], "junk.onnx"),
                (["quantize", int8, "--calibration", images, "--out", Path.Combine(root, "o.onnx")], "already quantized"),
                (["quantize", model, "--out", Path.Combine(root, "o.onnx")], "--calibration"),
            };
            foreach (var (args, expected) in cases)
            {
                var (code, _, error) = CliRunner.Run(args);
                Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, {error}");
                Assert.Contains(expected, error);
                Assert.Single(error.Trim().Split('\n'));
            }
            Assert.False(File.Exists(Path.Combine(root, "o.onnx")));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void WeightRangeOptionParsesItsThreeValuesAndRefusesOthers()
    {
        Assert.Equal(WeightRange.Auto, CornerNet.Cli.Commands.QuantizeCommand.ParseWeightRange("auto"));
        Assert.Equal(WeightRange.Full, CornerNet.Cli.Commands.QuantizeCommand.ParseWeightRange("full"));
        Assert.Equal(WeightRange.Reduced, CornerNet.Cli.Commands.QuantizeCommand.ParseWeightRange("reduced"));
        foreach (var bad in new[] { "Full", "7", "int7", "" })
        {
            var error = Assert.Throws<InvalidInputException>(
                () => CornerNet.Cli.Commands.QuantizeCommand.ParseWeightRange(bad));
            Assert.Contains("--weight-range", error.Message);
        }
    }
}
