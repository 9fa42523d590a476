using System.Text.Json;
using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class SqueezeModelTests
{
    internal static string Lite => Path.Combine(Fixtures.Shared, "fixtures", "lite");

    /// <summary>The fixture's reduced official Squeeze (json <c>constructor</c>): stem 16/32, dims 32-32-32-48, cnv_dim 16, 6 classes.</summary>
    internal static CornerNetConfig SmallSqueeze { get; } = ModelPresets.Squeeze with
    {
        Stem = [16, 32], Levels = 3, Dims = [32, 32, 32, 48], Modules = [1, 1, 1, 2], CnvDim = 16, Classes = 6,
        InputSize = [127, 127], OutputSize = [16, 16],
    };

    [Fact]
    public void SqueezePresetHasTheOfficialParameterCount()
    {
        using var model = new CornerNetModel(ModelPresets.Squeeze);
        Assert.Equal(31_771_852L, model.ParameterCount());
        Assert.Equal(990, model.state_dict().Count);
    }

    [Fact]
    public void SqueezeMapIsAnEighthOfTheInput()
    {
        Assert.Equal(64, ModelPresets.Squeeze.OutputSizeFor(511));
        Assert.Equal(16, ModelPresets.Squeeze.OutputSizeFor(127));
        using var model = new CornerNetModel(ModelPresets.SqueezeTiny);
        model.eval();
        using var _ = no_grad();
        using var image = randn(1, 3, 127, 255);
        var heads = model.forward(image);
        Assert.Equal(new long[] { 1, 10, 16, 32 }, heads[0].TlHeats.shape);
        foreach (var h in heads) h.Dispose();
    }

    [Theory]
    [InlineData(511, true)]
    [InlineData(383, true)]
    [InlineData(255, true)]
    [InlineData(447, false)]
    [InlineData(191, false)]
    public void SqueezeAcceptsInputSidesWhoseMapHalvesFourTimes(int side, bool accepted) =>
        Assert.Equal(accepted, ModelPresets.Squeeze.AcceptsInputSide(side));

    [FixtureFact]
    public void SmallSqueezeStateDictHasTheOfficialNamesAndShapes()
    {
        var file = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small.safetensors"));
        using var model = new CornerNetModel(SmallSqueeze);
        var ours = model.state_dict();
        Assert.Equal(434_532L, model.ParameterCount());
        Assert.Equal(file.Tensors.Count, ours.Count);
        foreach (var info in file.Tensors)
        {
            Assert.True(ours.ContainsKey(info.Name), $"model lacks {info.Name}");
            Assert.Equal(info.Shape, ours[info.Name].shape);
        }
    }

    [Fact]
    public void ModelFileCarriesTheFamily()
    {
        Assert.Contains("\"family\":\"squeeze\"", ModelPresets.Squeeze.ToJson());
        var legacy = CornerNetConfig.FromJson(ModelPresets.Tiny.ToJson().Replace("\"family\":\"hourglass\",", ""), "legacy.json");
        Assert.Equal(CornerNetConfig.HourglassFamily, legacy.Family);
        var error = Assert.Throws<InvalidInputException>(() => CornerNetConfig.FromJson(ModelPresets.Tiny.ToJson().Replace("\"hourglass\"", "\"resnet\""), "bad.json"));
        Assert.Contains("family 'resnet'", error.Message);
    }
}
