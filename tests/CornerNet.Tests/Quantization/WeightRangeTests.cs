using System.Text.Json;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Quantization;
using static TorchSharp.torch;

namespace CornerNet.Tests.Quantization;

public class WeightRangeTests
{
    const string Zen3Flags = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma bmi2 sha_ni vaes vpclmulqdq";
    const string Zen4Flags = Zen3Flags + " avx512f avx512bw avx512_vnni avx512_bf16";
    const string AlderLakeFlags = Zen3Flags + " avx_vnni";
    const string SapphireRapidsFlags = Zen3Flags + " amx_bf16 amx_tile amx_int8";

    [Fact]
    public void AutoIsReducedWithoutVnniOrAmxAndFullWithThem()
    {
        Assert.Equal(WeightRange.Reduced, AutoWeightRange.Resolve(WeightRange.Auto, Zen3Flags).Chosen);
        Assert.Equal(WeightRange.Reduced, AutoWeightRange.Resolve(WeightRange.Auto, "").Chosen);
        // A flag merely containing the name is not the flag.
        Assert.Equal(WeightRange.Reduced,
            AutoWeightRange.Resolve(WeightRange.Auto, Zen3Flags + " avx512_vnni_x").Chosen);
        foreach (var flags in new[] { Zen4Flags, AlderLakeFlags, SapphireRapidsFlags })
            Assert.Equal(WeightRange.Full, AutoWeightRange.Resolve(WeightRange.Auto, flags).Chosen);
        Assert.Contains("lacks avx512_vnni", AutoWeightRange.Resolve(WeightRange.Auto, Zen3Flags).Reason);
    }

    [Fact]
    public void AnExplicitRangeIsKeptWhateverTheCpu()
    {
        Assert.Equal(new AutoWeightRange(WeightRange.Full, "as requested"),
            AutoWeightRange.Resolve(WeightRange.Full, Zen3Flags));
        Assert.Equal(new AutoWeightRange(WeightRange.Reduced, "as requested"),
            AutoWeightRange.Resolve(WeightRange.Reduced, Zen4Flags));
    }

    [Fact]
    public void RunningAFullRangeModelWithoutVnniWarnsOthersDoNot()
    {
        string full = """{"method":"minmax","weight_range":"full"}""";
        string reduced = """{"method":"minmax","weight_range":"reduced"}""";
        string older = """{"method":"minmax"}"""; // written before the choice existed: full range
        Assert.Contains("--weight-range reduced", OnnxRuntimeNetwork.WarningFor(full, Zen3Flags));
        Assert.NotNull(OnnxRuntimeNetwork.WarningFor(older, Zen3Flags));
        Assert.Null(OnnxRuntimeNetwork.WarningFor(reduced, Zen3Flags));
        Assert.Null(OnnxRuntimeNetwork.WarningFor(full, Zen4Flags));
        Assert.Null(OnnxRuntimeNetwork.WarningFor(null, Zen3Flags)); // a float model
    }

    [Fact]
    public void ReducedRangeKeepsWeightsWithin7BitsAndTheMetadataSaysSo()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-int8range").FullName;
        try
        {
            manual_seed(3);
            var config = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count };
            string model = Path.Combine(root, "model.safetensors");
            using (var network = new CornerNetModel(config))
                ModelFile.Save(model, network,
                    SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
            string folder = Path.Combine(root, "images");
            SyntheticShapesDataset.Write(folder, images: 1, seed: 7, new SyntheticShapes(size: 96, maxObjects: 3));
            var images = Directory.GetFiles(Path.Combine(folder, "images")).Order().ToArray();

            foreach (var (range, low, high) in new[] { (WeightRange.Reduced, -64, 63), (WeightRange.Full, -127, 127) })
            {
                string path = Path.Combine(root, $"model-{range}.int8.onnx");
                var report = OnnxQuantizer.Quantize(model, images, path,
                    new QuantizationOptions { Activations = ActivationType.Uint8, WeightRange = range, Threads = 2 });
                Assert.Equal(range, report.WeightRange);
                Assert.Equal("as requested", report.WeightRangeChoice);

                var onnx = OnnxModel.Read(File.ReadAllBytes(path), path);
                var weights = onnx.Initializers.Values
                    .Where(t => t.DataType == OnnxModel.Int8Type
                        && t.Name.EndsWith(".weight_quantized", StringComparison.Ordinal))
                    .ToList();
                Assert.Equal(report.QuantizedConvolutions, weights.Count);
                int smallest = weights.Min(t => t.Data.Min(b => (int)(sbyte)b));
                int largest = weights.Max(t => t.Data.Max(b => (int)(sbyte)b));
                Assert.InRange(smallest, low, high);
                Assert.InRange(largest, low, high);
                // Each channel's largest weight reaches the range's end: the range is used, not just respected.
                Assert.Equal(range == WeightRange.Reduced ? 63 : 127, Math.Max(largest, -smallest));

                string json = onnx.Metadata.First(kv => kv.Key == OnnxMetadata.QuantizationKey).Value;
                using var metadata = JsonDocument.Parse(json);
                string expected = range.ToString().ToLowerInvariant();
                Assert.Equal(expected, metadata.RootElement.GetProperty("weight_range").GetString());
                Assert.Equal("as requested", metadata.RootElement.GetProperty("weight_range_choice").GetString());
            }
        }
        finally { Directory.Delete(root, true); }
    }
}
