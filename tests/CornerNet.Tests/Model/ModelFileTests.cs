using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class ModelFileTests
{
    [Fact]
    public void SaveThenLoadGivesTheSameWeightsConfigAndClasses()
    {
        string path = Path.Combine(Path.GetTempPath(), $"model-{Guid.NewGuid():N}.safetensors");
        try
        {
            manual_seed(3);
            var config = ModelPresets.Tiny with { Classes = 3 };
            using var model = new CornerNetModel(config);
            var classes = new[] { new ClassInfo(1, "circle"), new ClassInfo(5, "ring"), new ClassInfo(9, "cross") };
            ModelFile.Save(path, model, classes);
            var (loaded, loadedClasses) = ModelFile.Load(path);
            using (loaded)
            {
                Assert.Equal(config.ToJson(), loaded.Config.ToJson());
                Assert.Equal(classes, loadedClasses);
                var expected = model.state_dict();
                foreach (var (name, tensor) in loaded.state_dict())
                    Assert.True(tensor.Equals(expected[name]), $"{name} differs after the round trip");
            }
        }
        finally { File.Delete(path); }
    }

    [FixtureFact]
    public void AnOfficialSafetensorsWithoutMetadataIsRefusedWithAHint()
    {
        string path = Path.Combine(Fixtures.Reference, "small_cornernet.safetensors");
        var e = Assert.Throws<WeightFileException>(() => ModelFile.Load(path));
        Assert.Contains("cornernet convert", e.Message);
    }

    [Fact]
    public void WrongShapesAreReportedByName()
    {
        using var scope = NewDisposeScope();
        using var model = new CornerNetModel(ModelPresets.Tiny);
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["cnvs.0.conv.weight"] = zeros(1, 1, 3, 3);
        var e = Assert.Throws<WeightFileException>(() => StateDictLoader.Load(model, tensors, "bad.safetensors"));
        Assert.Contains("cnvs.0.conv.weight", e.Message);
        Assert.StartsWith("bad.safetensors:", e.Message);
    }

    [FixtureFact]
    public void ConvertOfficialWritesAModelFileThatReproducesTheOfficialHeads()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-convert-api").FullName;
        try
        {
            string model = Path.Combine(dir, "small.safetensors");
            var classes = Enumerable.Range(1, 10).Select(i => new ClassInfo(100 + i, $"shape {i}")).ToArray();
            var config = ModelFile.ConvertOfficial(Path.Combine(Fixtures.Reference, "small_cornernet_zip.pth"), model,
                classes);
            Assert.Equal((2, 3, 10), (config.Stacks, config.Levels, config.Classes));
            Assert.Equal(new[] { 32, 32, 48, 64 }, config.Dims);

            var (network, loadedClasses) = ModelFile.Load(model);
            Assert.Equal(classes, loadedClasses);
            using (network)
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
                var heads = network.forward(io.Load("image").to(float32))[^1];
                foreach (var (name, tensor) in heads.Named())
                {
                    double tolerance = name.EndsWith("heats", StringComparison.Ordinal) ? 1e-3 : 1e-4;
                    double maxDiff = (tensor - io.Load(name)).abs().max().item<float>();
                    Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void ConvertOfficialWithTheWrongClassCountNamesTheCheckpointAndWritesNothing()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-convert-api").FullName;
        try
        {
            string model = Path.Combine(dir, "small.safetensors");
            var threeClasses = new[] { new ClassInfo(1, "a"), new ClassInfo(2, "b"), new ClassInfo(3, "c") };
            var e = Assert.Throws<InvalidInputException>(() => ModelFile.ConvertOfficial(
                Path.Combine(Fixtures.Reference, "small_cornernet_legacy.pkl"), model, threeClasses));
            Assert.Contains("small_cornernet_legacy.pkl", e.Message);
            Assert.Contains("10 classes but 3 class names", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}
