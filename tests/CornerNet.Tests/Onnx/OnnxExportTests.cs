using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Tests.Inference;
using CornerNet.Weights;
using Google.Protobuf;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Onnx;

public class OnnxExportTests(ITestOutputHelper output)
{
    static IReadOnlyList<ClassInfo> ClassesOf(CornerNetConfig config) =>
        Enumerable.Range(0, config.Classes).Select(i => new ClassInfo(i + 1, $"class{i}")).ToArray();

    static CornerNetModel SmallReferenceModel()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        model.eval();
        return model;
    }

    static CornerNetModel TinyRandomModel()
    {
        manual_seed(7);
        var model = new CornerNetModel(ModelPresets.Tiny);
        model.eval();
        return model;
    }

    /// <summary>The TorchSharp eval heads (before the export folds BatchNorm), as named tensors outside any scope.</summary>
    static Dictionary<string, Tensor> TorchHeads(CornerNetModel model, Tensor input)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var heads = model.forward(input)[^1];
        return heads.Named().ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope());
    }

    static Dictionary<string, Tensor> OnnxHeads(OnnxRuntimeNetwork network, Tensor input)
    {
        var heads = network.Forward(input);
        return new Dictionary<string, Tensor>
        {
            ["tl_heats"] = heads.TlHeats, ["br_heats"] = heads.BrHeats, ["tl_tags"] = heads.TlTags,
            ["br_tags"] = heads.BrTags, ["tl_regrs"] = heads.TlRegrs, ["br_regrs"] = heads.BrRegrs,
        };
    }

    void AssertHeadsMatch(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string label)
    {
        foreach (var name in OnnxMetadata.OutputNames)
        {
            Assert.Equal(expected[name].shape, actual[name].shape);
            double tolerance = name.EndsWith("heats") ? 1e-3 : 1e-4;
            double maxDiff = (actual[name] - expected[name]).abs().max().item<float>();
            output.WriteLine($"{label} {name}: max |Δ| = {maxDiff:E2}");
            Assert.True(maxDiff <= tolerance, $"{label} {name}: max |Δ| = {maxDiff}");
        }
    }

    static string Export(CornerNetModel model, string root, OnnxExportOptions options)
    {
        string path = Path.Combine(root, $"model-{Guid.NewGuid():N}.onnx");
        OnnxExporter.Export(model, ClassesOf(model.Config), path, options);
        return path;
    }

    [Theory]
    [InlineData(127)]
    [InlineData(255)]
    public void TinyFixedSizeExportMatchesTorchSharp(int size)
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            using var model = TinyRandomModel();
            manual_seed(11);
            var input = randn(1, 3, size, size);
            var expected = TorchHeads(model, input);
            string path = Export(model, root, new OnnxExportOptions { InputSize = [size, size] });
            using var network = OnnxRuntimeNetwork.Load(path, threads: 2);
            Assert.False(network.DynamicSize);
            AssertHeadsMatch(expected, OnnxHeads(network, input), $"tiny {size}");
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void TinyDynamicSizeExportMatchesTorchSharpAtTwoSizes()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            using var model = TinyRandomModel();
            manual_seed(12);
            var square = randn(2, 3, 127, 127);
            var wide = randn(1, 3, 255, 383);
            var expectedSquare = TorchHeads(model, square);
            var expectedWide = TorchHeads(model, wide);
            string path = Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511 });
            using var network = OnnxRuntimeNetwork.Load(path, threads: 2);
            Assert.True(network.DynamicSize);
            AssertHeadsMatch(expectedSquare, OnnxHeads(network, square), "tiny 2×127×127");
            AssertHeadsMatch(expectedWide, OnnxHeads(network, wide), "tiny 255×383");
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void SqueezeTinyExportMatchesTorchSharpFixedAndDynamic()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            manual_seed(8);
            using var model = new CornerNetModel(ModelPresets.SqueezeTiny);
            model.eval();
            manual_seed(14);
            var square = randn(1, 3, 255, 255);
            var wide = randn(1, 3, 127, 383);
            var expectedSquare = TorchHeads(model, square);
            var expectedWide = TorchHeads(model, wide);
            using (var fixedNetwork = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions()), threads: 2))
                AssertHeadsMatch(expectedSquare, OnnxHeads(fixedNetwork, square), "squeeze-tiny fixed 255×255");
            using var network = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511 }), threads: 2);
            AssertHeadsMatch(expectedSquare, OnnxHeads(network, square), "squeeze-tiny dynamic 255×255");
            AssertHeadsMatch(expectedWide, OnnxHeads(network, wide), "squeeze-tiny dynamic 127×383");
        }
        finally { Directory.Delete(root, true); }
    }

    [FixtureFact]
    public void SmallSqueezeExportMatchesTheOfficialHeads()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Shared, "fixtures", "lite", "squeeze_small_io.safetensors"));
            using var model = CornerNet.Tests.Model.SqueezeParityTests.LoadSmallSqueeze();
            using var network = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511 }), threads: 2);
            foreach (var suffix in new[] { "", "_wide" })
            {
                var official = OnnxMetadata.OutputNames.ToDictionary(n => n, n => io.Load(n.Replace("regrs", "offs") + suffix));
                AssertHeadsMatch(official, OnnxHeads(network, io.Load("image" + suffix)), $"small squeeze ONNX vs official{suffix}");
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [FixtureFact]
    public void SmallReferenceModelMatchesTorchSharpAndTheOfficialHeads()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
            using var model = SmallReferenceModel();
            var inputs = new Dictionary<string, Tensor> { ["2×127×127"] = io.Load("image"), ["127×255"] = io.Load("image_wide") };
            manual_seed(13);
            inputs["255×255"] = randn(1, 3, 255, 255);
            var expected = inputs.ToDictionary(kv => kv.Key, kv => TorchHeads(model, kv.Value));

            // Fixed size at the fixture's 127×127 (the batch of 2 runs image by image), dynamic for all three inputs.
            using (var fixedNetwork = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions()), threads: 2))
                AssertHeadsMatch(expected["2×127×127"], OnnxHeads(fixedNetwork, inputs["2×127×127"]), "small fixed 2×127×127");
            using var network = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511 }), threads: 2);
            foreach (var (label, input) in inputs)
                AssertHeadsMatch(expected[label], OnnxHeads(network, input), $"small dynamic {label}");
            var official = OnnxMetadata.OutputNames.ToDictionary(n => n, n => io.Load(n + "_wide"));
            AssertHeadsMatch(official, OnnxHeads(network, inputs["127×255"]), "small dynamic vs official 127×255");
        }
        finally { Directory.Delete(root, true); }
    }

    [FixtureFact]
    public void DetectionPipelineGivesTheSameDetectionsWithTorchAndOnnx()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            var image = ImagePreprocessorTests.SourceImage(ImagePreprocessorTests.TestFixture);
            var options = DetectionOptions.OfficialSingleScale;
            using var model = SmallReferenceModel();
            model.FoldBatchNorm();
            var torchDetections = DetectionPipeline.ForModel(model, options).Detect(image);
            string path = Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 1023 });
            using var network = OnnxRuntimeNetwork.Load(path, threads: 2);
            var onnxDetections = network.CreatePipeline(options).Detect(image);

            static List<DetectionMatching.Row> Rows(IEnumerable<Detection> detections) =>
                detections.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList();
            Assert.NotEmpty(torchDetections);
            var (box, score) = DetectionMatching.AssertOneToOne(Rows(torchDetections), Rows(onnxDetections), 1e-3, 1e-5);
            output.WriteLine($"{torchDetections.Count} detections, max box deviation {box:E2}, score {score:E2}");
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void GraphUsesOnlyStandardOperatorsAndDeclaresTheOpset()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            using var model = TinyRandomModel();
            string path = Export(model, root, new OnnxExportOptions { DynamicSize = true, MaxInputSide = 511, Opset = 18 });
            var graph = OnnxFileReader.Read(path);
            Assert.Equal(8, graph.IrVersion);
            Assert.Equal([("", 18L)], graph.OpsetImports);
            Assert.NotEmpty(graph.Nodes);
            Assert.All(graph.Nodes, node => Assert.True(node.Domain is "" or "ai.onnx", $"node {node.OpType} has domain '{node.Domain}'"));
            Assert.Subset(new HashSet<string> { "Conv", "Relu", "Add", "Resize", "Pad", "Slice", "Max" }, graph.Nodes.Select(n => n.OpType).ToHashSet());
            Assert.Contains(OnnxMetadata.ConfigKey, graph.Metadata.Keys);
            Assert.Equal(ModelPresets.Tiny.ToJson(), CornerNetConfig.FromJson(graph.Metadata[OnnxMetadata.ConfigKey], path).ToJson());
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void FixedSizeModelRefusesOtherSizesAndNamesTheDynamicExport()
    {
        using var scope = NewDisposeScope();
        string root = Directory.CreateTempSubdirectory("cornernet-onnx").FullName;
        try
        {
            using var model = TinyRandomModel();
            using var network = OnnxRuntimeNetwork.Load(Export(model, root, new OnnxExportOptions()), threads: 2);
            var error = Assert.Throws<InvalidInputException>(() => network.Forward(zeros(1, 3, 255, 255)));
            Assert.Contains("--dynamic-size", error.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(22)]
    public void UnsupportedOpsetIsBadInput(int opset)
    {
        using var model = TinyRandomModel();
        var error = Assert.Throws<InvalidInputException>(() => OnnxExporter.Export(model, ClassesOf(model.Config), Stream.Null, new OnnxExportOptions { Opset = opset }));
        Assert.Contains("--opset", error.Message);
    }

    [Fact]
    public void CorruptFileIsBadInput()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("cornernet-onnx").FullName, "corrupt.onnx");
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
            var error = Assert.Throws<InvalidInputException>(() => OnnxRuntimeNetwork.Load(path));
            Assert.Contains("corrupt.onnx", error.Message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }
}
