using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Quantization;
using CornerNet.Tests.Onnx;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Quantization;

public class OnnxQuantizerTests(ITestOutputHelper output)
{
    static string TinyModel(string root, int seed = 3)
    {
        manual_seed(seed);
        var config = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count };
        using var model = new CornerNetModel(config);
        string path = Path.Combine(root, "model.safetensors");
        ModelFile.Save(path, model, SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
        return path;
    }

    static string[] Images(string root, int count, int seed)
    {
        string folder = Path.Combine(root, $"images-{seed}");
        SyntheticShapesDataset.Write(folder, images: count, seed: seed, new SyntheticShapes(size: 96, maxObjects: 3));
        return Directory.GetFiles(Path.Combine(folder, "images")).Order().ToArray();
    }

    static Dictionary<string, Tensor> Heads(OnnxRuntimeNetwork network, Tensor input)
    {
        var heads = network.Forward(input);
        return new Dictionary<string, Tensor>
        {
            ["tl_heats"] = heads.TlHeats, ["br_heats"] = heads.BrHeats, ["tl_tags"] = heads.TlTags,
            ["br_tags"] = heads.BrTags, ["tl_regrs"] = heads.TlRegrs, ["br_regrs"] = heads.BrRegrs,
        };
    }

    /// <summary>Per head: RMS of the int8 − float difference over the float head's standard deviation, and max |Δ|.</summary>
    Dictionary<string, (double Relative, double Max)> Deviations(OnnxRuntimeNetwork fp32, OnnxRuntimeNetwork int8, Tensor input, string label)
    {
        var expected = Heads(fp32, input);
        var actual = Heads(int8, input);
        var relative = new Dictionary<string, (double, double)>();
        foreach (var name in OnnxMetadata.OutputNames)
        {
            Assert.Equal(expected[name].shape, actual[name].shape);
            using var difference = actual[name] - expected[name];
            double rms = difference.square().mean().sqrt().item<float>();
            double spread = expected[name].std().item<float>();
            double max = difference.abs().max().item<float>();
            relative[name] = (rms / spread, max);
            output.WriteLine($"{label} {name}: rms Δ {rms:E2} = {rms / spread:P1} of the float std {spread:E2}; max |Δ| {max:E2}");
        }
        return relative;
    }

    [Fact]
    public void QuantizedTinyModelIsAQdqGraphWithTheExportMetadataThatOrtRuns()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-int8").FullName;
        try
        {
            string model = TinyModel(root);
            string int8 = Path.Combine(root, "model.int8.onnx");
            int progress = 0;
            var report = OnnxQuantizer.Quantize(model, Images(root, 3, 5), int8, new QuantizationOptions { Activations = ActivationType.Uint8, Threads = 2 }, done => progress = done);
            Assert.Equal(3, progress);

            var file = OnnxFileReader.Read(int8);
            int convolutions = file.Nodes.Count(n => n.OpType == "Conv");
            // By default the six heads' last 1×1 convolutions stay float.
            Assert.Equal(6, report.FloatConvolutions.Count);
            Assert.All(report.FloatConvolutions, name => Assert.EndsWith(".0.1", name));
            Assert.Equal(convolutions, report.QuantizedConvolutions + 6);
            // Per convolution: weight and bias dequantized; activations quantized and dequantized.
            Assert.True(file.Nodes.Count(n => n.OpType == "DequantizeLinear") >= 2 * convolutions);
            Assert.True(file.Nodes.Count(n => n.OpType == "QuantizeLinear") >= convolutions);
            Assert.All(file.Nodes, n => Assert.True(n.Domain is "" or "ai.onnx", $"{n.OpType} in domain '{n.Domain}'"));
            foreach (var key in new[] { OnnxMetadata.ConfigKey, OnnxMetadata.ClassesKey, OnnxMetadata.FormatVersionKey, OnnxMetadata.MaxInputSideKey, OnnxMetadata.QuantizationKey })
                Assert.True(file.Metadata.ContainsKey(key), $"metadata '{key}' missing");
            Assert.Contains("\"activations\":\"uint8\"", file.Metadata[OnnxMetadata.QuantizationKey]);

            using var network = OnnxRuntimeNetwork.Load(int8, threads: 2);
            Assert.True(network.DynamicSize);
            Assert.NotNull(network.Quantization);
            Assert.Equal(SyntheticShapes.ClassNames, network.Classes.Select(c => c.Name));
            manual_seed(4);
            foreach (var (height, width) in new[] { (127, 127), (127, 255) })
            {
                var heads = network.Forward(randn(2, 3, height, width));
                Assert.Equal(new long[] { 2, SyntheticShapes.ClassNames.Count, (height + 1) / 4, (width + 1) / 4 }, heads.TlHeats.shape);
                Assert.True(heads.TlHeats.isfinite().all().item<bool>());
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Int8ActivationsAndPerTensorWeightsAlsoRun()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-int8").FullName;
        try
        {
            string model = TinyModel(root);
            var images = Images(root, 2, 6);
            string fp32Path = Path.Combine(root, "model.onnx");
            var (network, classes) = ModelFile.Load(model);
            using (network) OnnxExporter.Export(network, classes, fp32Path, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511 });
            using var fp32 = OnnxRuntimeNetwork.Load(fp32Path, threads: 2);
            var (input, _) = new ImagePreprocessor(ModelPresets.Tiny.Normalization)
                .Prepare(ImageDecoder.Decode(images[0]), 1.0);
            foreach (var (type, perChannel) in new[] { (ActivationType.Int8, true), (ActivationType.Uint8, false) })
            {
                // From the float .onnx export this time (the other test starts from the model file).
                string path = Path.Combine(root, $"model-{type}-{perChannel}.int8.onnx");
                OnnxQuantizer.Quantize(fp32Path, images, path, new QuantizationOptions { Activations = type, PerChannel = perChannel, Threads = 2 });
                using var int8 = OnnxRuntimeNetwork.Load(path, threads: 2);
                var deviation = Deviations(fp32, int8, input, $"{type} per-{(perChannel ? "channel" : "tensor")}");
                // Random weights: the heads are nearly constant (heat logits ≈ −2.19), so only an absolute bound means anything.
                Assert.All(deviation, kv => Assert.True(kv.Value.Max < 0.02, $"{kv.Key}: max |Δ| {kv.Value.Max}"));
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void KeepFloatLeavesTheFirstConvolutionAndTheHeadsInFloat()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-int8").FullName;
        try
        {
            string model = TinyModel(root);
            string path = Path.Combine(root, "model.int8.onnx");
            var report = OnnxQuantizer.Quantize(model, Images(root, 1, 7), path,
                new QuantizationOptions { Activations = ActivationType.Uint8, KeepFloat = ["first", "heads", "tl_cnvs"], Threads = 2 });
            Assert.Contains("pre.0.conv", report.FloatConvolutions);
            Assert.Contains("tl_heats.0.1", report.FloatConvolutions);
            Assert.Contains("br_regrs.0.1", report.FloatConvolutions);
            Assert.Contains(report.FloatConvolutions, name => name.StartsWith("tl_cnvs.0.p1_conv1", StringComparison.Ordinal));
            Assert.DoesNotContain("br_cnvs.0.p1_conv1.conv", report.FloatConvolutions);
            Assert.Equal(1 + 6 + 5, report.FloatConvolutions.Count); // first, six heads, the five convolutions of tl_cnvs
            int convolutions = OnnxFileReader.Read(path).Nodes.Count(n => n.OpType == "Conv");
            Assert.Equal(convolutions, report.QuantizedConvolutions + report.FloatConvolutions.Count);
            using var network = OnnxRuntimeNetwork.Load(path, threads: 2);
            using var scope = NewDisposeScope();
            Assert.True(network.Forward(randn(1, 3, 127, 127)).TlHeats.isfinite().all().item<bool>());
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>
    /// The official small model (fixture): calibrated on four COCO images with the test procedure, then compared with its
    /// float export on two other COCO images at the test procedure's size. Statistics go to the test output.
    /// </summary>
    [FixtureFact]
    public void Int8HeadsOfTheSmallFixtureModelStayCloseToFloat()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-int8").FullName;
        try
        {
            var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
            string modelPath = Path.Combine(root, "small.safetensors");
            var config = ModelPresets.Small;
            using (var model = new CornerNetModel(config))
            {
                StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
                ModelFile.Save(modelPath, model, Enumerable.Range(1, config.Classes).Select(i => new ClassInfo(i, $"class{i}")).ToArray());
            }
            string fp32Path = Path.Combine(root, "small.onnx");
            var (loaded, classes) = ModelFile.Load(modelPath);
            using (loaded) OnnxExporter.Export(loaded, classes, fp32Path, new OnnxExportOptions { DynamicSize = true });
            var images = Directory.GetFiles(Path.Combine(Fixtures.Coco128, "images"), "*.jpg", SearchOption.AllDirectories).Order().ToArray();
            string int8Path = Path.Combine(root, "small.int8.onnx");
            OnnxQuantizer.Quantize(modelPath, images[..4], int8Path, new QuantizationOptions { Threads = 2 });

            using var fp32 = OnnxRuntimeNetwork.Load(fp32Path, threads: 2);
            using var int8 = OnnxRuntimeNetwork.Load(int8Path, threads: 2);
            var preprocessor = new ImagePreprocessor(config.Normalization);
            foreach (var image in images[4..6])
            {
                var (input, _) = preprocessor.Prepare(ImageDecoder.Decode(image), 1.0);
                var deviation = Deviations(fp32, int8, input, Path.GetFileName(image));
                // Stated tolerance: heats and offsets within 5 % RMS of their spread over the image; tags (spread ≈ 0.02)
                // within 25 % RMS and 0.05 absolute, a tenth of the 0.5 tag distance at which decoding pairs corners.
                foreach (var (name, (relative, max)) in deviation)
                {
                    bool tags = name.EndsWith("tags", StringComparison.Ordinal);
                    Assert.True(relative < (tags ? 0.25 : 0.05), $"{name}: relative RMS deviation {relative:P1}");
                    if (tags) Assert.True(max < 0.05, $"{name}: max |Δ| {max}");
                }
            }
        }
        finally { Directory.Delete(root, true); }
    }
}
