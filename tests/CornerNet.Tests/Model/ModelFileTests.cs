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
}
