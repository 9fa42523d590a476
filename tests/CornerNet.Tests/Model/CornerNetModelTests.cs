using CornerNet.Model;
using CornerNet.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class CornerNetModelTests
{
    [Fact]
    public void Hourglass104HasTheOfficialParameterCount()
    {
        using var model = new CornerNetModel(ModelPresets.Hourglass104);
        Assert.Equal(201_035_212L, model.ParameterCount());
        Assert.Equal(1128, model.state_dict().Count);
    }

    [Fact]
    public void NoCornerPoolingKeepsTheParameterCount()
    {
        using var with = new CornerNetModel(ModelPresets.Small);
        using var without = new CornerNetModel(ModelPresets.Small with { CornerPooling = false });
        Assert.Equal(with.ParameterCount(), without.ParameterCount());
    }

    [FixtureFact]
    public void SmallModelStateDictMatchesOfficialNamesShapesAndOrder()
    {
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors"));
        using var model = new CornerNetModel(ModelPresets.Small);
        var ours = model.state_dict();
        Assert.Equal(2_241_092L, model.ParameterCount());
        Assert.Equal(file.Tensors.Count, ours.Count);
        foreach (var info in file.Tensors)
        {
            Assert.True(ours.ContainsKey(info.Name), $"model lacks {info.Name}");
            Assert.Equal(info.Shape, ours[info.Name].shape);
        }
    }

    [FixtureFact]
    public void SmallModelReproducesOfficialEvalHeads()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        using var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        model.eval();
        var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
        foreach (var suffix in new[] { "", "_wide" })
        {
            using var _ = no_grad();
            var heads = model.forward(io.Load("image" + suffix));
            Assert.Single(heads);
            foreach (var (name, actual) in heads[0].Named())
            {
                var expected = io.Load(name + suffix);
                Assert.Equal(expected.shape, actual.shape);
                double tolerance = name.EndsWith("heats") ? 1e-3 : 1e-4;
                double maxDiff = (actual - expected).abs().max().item<float>();
                Assert.True(maxDiff <= tolerance, $"{name}{suffix}: max |Δ| = {maxDiff}");
            }
        }
    }
}
