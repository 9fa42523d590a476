using System.Text.Json;
using CornerNet.Training;
using CornerNet.Weights;

namespace CornerNet.Tests.Training;

public class GaussianHeatmapTests
{
    static SafeTensorsFile File_() => SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "gaussian.safetensors"));

    [FixtureFact]
    public void HeatmapOfTheFixtureDrawsMatches()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Reference, "gaussian.json")));
        var shape = doc.RootElement.GetProperty("heatmap_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int h = shape[0], w = shape[1];
        var map = new float[h * w];
        foreach (var draw in doc.RootElement.GetProperty("heatmap_draws").EnumerateArray())
        {
            var c = draw.GetProperty("center_xy").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            GaussianHeatmap.Draw(map, 0, h, w, c[0], c[1], draw.GetProperty("radius").GetInt32());
        }
        using var expected = File_().Load("heatmap");
        Assert.Equal(new long[] { h, w }, expected.shape);
        var e = expected.data<float>().ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - map[i]) <= 1e-7, $"pixel {i}: {map[i]} vs {e[i]}");
    }

    [FixtureTheory]
    [InlineData("gaussian2d_r1", 1)]
    [InlineData("gaussian2d_r3", 3)]
    public void Float32KernelMatches(string name, int radius)
    {
        using var expected = File_().Load(name);
        var e = expected.data<float>().ToArray();
        var k = GaussianHeatmap.Kernel(radius);
        Assert.Equal(e.Length, k.Length);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - (float)k[i]) <= 1e-7);
    }

    [FixtureFact]
    public void Float64KernelMatches()
    {
        using var expected = File_().Load("gaussian2d_r3_float64");
        var e = expected.data<double>().ToArray();
        var k = GaussianHeatmap.Kernel(3);
        double worst = e.Zip(k, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-7, $"max |Δ| {worst}");
    }

    [Fact]
    public void PeakIsExactlyOneAndSigmaIsADiameterOverSix()
    {
        var k = GaussianHeatmap.Kernel(2);
        Assert.Equal(1.0, k[2 * 5 + 2]);
        double sigma = 5 / 6.0;
        Assert.Equal(Math.Exp(-1 / (2 * sigma * sigma)), k[2 * 5 + 3], 15);
    }

    [Fact]
    public void OverlapsKeepTheLargerValueAndBordersClip()
    {
        var map = new float[5 * 6];
        GaussianHeatmap.Draw(map, 0, 5, 6, 0, 0, 3);
        GaussianHeatmap.Draw(map, 0, 5, 6, 1, 0, 1);
        Assert.Equal(1f, map[0]);
        Assert.Equal(1f, map[1]);
        var kernel3 = GaussianHeatmap.Kernel(3);
        Assert.Equal((float)kernel3[6 * 7 + 6], map[3 * 6 + 3]);
        Assert.Equal(0f, map[4 * 6 + 5]);
    }

    [Fact]
    public void DrawsIntoTheChannelAtTheOffset()
    {
        var map = new float[2 * 3 * 3];
        GaussianHeatmap.Draw(map, 9, 3, 3, 1, 1, 0);
        Assert.Equal(1f, map[9 + 4]);
        Assert.Equal(1f, map.Sum());
    }

    [Fact]
    public void CentreOutsideTheMapIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianHeatmap.Draw(new float[9], 0, 3, 3, 3, 0, 1));
}
