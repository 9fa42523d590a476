using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class ArchitectureInferenceTests
{
    public static IEnumerable<object[]> Configs()
    {
        yield return new object[] { ModelPresets.Small };
        yield return new object[] { ModelPresets.Tiny };
        yield return new object[] { new CornerNetConfig { Stem = new[] { 8, 32 }, Stacks = 3, Levels = 2, Dims = new[] { 32, 48, 64 }, Modules = new[] { 3, 1, 2 }, CnvDim = 80, PoolDim = 12, Classes = 7 } };
        yield return new object[] { new CornerNetConfig { Stem = new[] { 8, 16 }, Stacks = 1, Levels = 1, Dims = new[] { 16, 16 }, Modules = new[] { 1, 1 }, CnvDim = 8, PoolDim = 8, Classes = 1 } };
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void InfersTheArchitectureFromNamesAndShapes(CornerNetConfig config)
    {
        using var model = new CornerNetModel(config);
        var inferred = ArchitectureInference.Infer(model.state_dict(), "test");
        Assert.Equal(config.Stem, inferred.Stem);
        Assert.Equal(config.Stacks, inferred.Stacks);
        Assert.Equal(config.Levels, inferred.Levels);
        Assert.Equal(config.Dims, inferred.Dims);
        Assert.Equal(config.Modules, inferred.Modules);
        Assert.Equal(config.CnvDim, inferred.CnvDim);
        Assert.Equal(config.PoolDim, inferred.PoolDim);
        Assert.Equal(config.Classes, inferred.Classes);
    }

    [Fact]
    public void InfersHourglass104()
    {
        using var model = new CornerNetModel(ModelPresets.Hourglass104);
        var inferred = ArchitectureInference.Infer(model.state_dict(), "test");
        Assert.Equal(ModelPresets.Hourglass104.ToJson(), inferred.ToJson());
    }

    [Fact]
    public void ANonCornerNetStateDictIsAClearError()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["fc.weight"] = zeros(2, 2) };
        var e = Assert.Throws<WeightFileException>(() => ArchitectureInference.Infer(tensors, "other.pth"));
        Assert.StartsWith("other.pth: not a CornerNet checkpoint", e.Message);
    }
}
