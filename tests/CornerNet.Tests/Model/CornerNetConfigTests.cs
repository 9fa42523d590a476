using CornerNet.Model;

namespace CornerNet.Tests.Model;

public class CornerNetConfigTests
{
    [Theory]
    [InlineData(511, true)]   // 128-pixel map, 5 levels halve it to 4
    [InlineData(383, true)]   // 96 = 32 × 3
    [InlineData(515, false)]  // 129-pixel map
    [InlineData(447, false)]  // 112 is not a multiple of 32
    [InlineData(0, false)]
    public void HourglassAcceptsInputSidesWhoseMapHalvesEvenly(int side, bool accepted) =>
        Assert.Equal(accepted, ModelPresets.Hourglass104.AcceptsInputSide(side));

    [Fact]
    public void InputSizeTheLevelsCannotHalveIsRefused()
    {
        var config = ModelPresets.Hourglass104 with { InputSize = [447, 447], OutputSize = [112, 112] };
        var error = Assert.Throws<InvalidInputException>(() => config.Validate("model.json"));
        Assert.Contains("cannot halve evenly", error.Message);
    }

    [Fact]
    public void WithSquareInputSetsTheInputAndTheHeatmapSize()
    {
        var config = ModelPresets.Tiny.WithSquareInput(255);
        Assert.Equal([255, 255], config.InputSize);
        Assert.Equal([64, 64], config.OutputSize);
        config.Validate("test");
    }
}
