using CornerNet.Benchmarks;
using CornerNet.Model;

namespace CornerNet.Tests.Benchmarks;

public class ConvFlopsTests
{
    [Theory]
    [InlineData(false, 686.3)]
    [InlineData(true, 904.6)]
    public void Hourglass104At511MatchesTheOfficialCount(bool trainingPath, double expectedGflop)
    {
        double gflop = ConvFlops.Count(ModelPresets.Hourglass104, 511, 511, trainingPath) / 1e9;
        Assert.InRange(gflop, expectedGflop - 0.05, expectedGflop + 0.05);
    }

    /// <summary>fixtures/lite/README.md, measured with hooks on the official code: 96.3 GFLOP Conv2d + 6.1 ConvTranspose2d = 102.5.</summary>
    [Fact]
    public void SqueezeAt511MatchesTheOfficialCount()
    {
        double gflop = ConvFlops.Count(ModelPresets.Squeeze, 511, 511) / 1e9;
        Assert.InRange(gflop, 102.4, 102.6);
    }
}
