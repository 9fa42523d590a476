using System.Text.Json;
using CornerNet.Training;

namespace CornerNet.Tests.Training;

public class GaussianRadiusTests
{
    static JsonElement[] Sizes()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Reference, "gaussian.json")));
        return doc.RootElement.GetProperty("radius").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [FixtureTheory]
    [InlineData("official_iou0.3", nameof(RadiusRule.Official), 0.3)]
    [InlineData("official_iou0.7", nameof(RadiusRule.Official), 0.7)]
    [InlineData("legacy2018_iou0.7", nameof(RadiusRule.Legacy2018), 0.7)]
    public void MatchesTheOfficialFunctionForAllSizes(string field, string ruleName, double iou)
    {
        var rule = Enum.Parse<RadiusRule>(ruleName);
        var sizes = Sizes();
        Assert.Equal(20, sizes.Length);
        foreach (var s in sizes)
        {
            double h = s.GetProperty("height").GetDouble(), w = s.GetProperty("width").GetDouble();
            double expected = s.GetProperty(field).GetDouble();
            double actual = GaussianRadius.Compute(h, w, rule, iou);
            Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected), $"{field} {h}×{w}: {actual} vs {expected}");
        }
    }

    [FixtureTheory]
    [InlineData("train_radius_official", nameof(RadiusRule.Official), 0.3)]
    [InlineData("train_radius_legacy2018", nameof(RadiusRule.Legacy2018), 0.7)]
    public void DrawnRadiusIsTheTruncatedRadius(string field, string ruleName, double iou)
    {
        var rule = Enum.Parse<RadiusRule>(ruleName);
        foreach (var s in Sizes())
        {
            double h = s.GetProperty("height").GetDouble(), w = s.GetProperty("width").GetDouble();
            Assert.Equal(s.GetProperty(field).GetInt32(), GaussianRadius.DrawnRadius(h, w, rule, iou));
        }
    }

    [FixtureFact]
    public void OfficialRuleIsTheExactSquareWorstCase()
    {
        foreach (var s in Sizes())
        {
            double h = s.GetProperty("height").GetDouble(), w = s.GetProperty("width").GetDouble();
            foreach (var t in new[] { 0.3, 0.7 })
            {
                double numeric = s.GetProperty($"square_numeric_iou{t}").GetDouble();
                Assert.True(Math.Abs(GaussianRadius.Compute(h, w, RadiusRule.Official, t) - numeric) <= 1e-12 * numeric);
            }
        }
    }

    [Fact]
    public void FixedRuleIgnoresTheSizeAndDrawsTwoForTwoAndAHalf()
    {
        Assert.Equal(2.5, GaussianRadius.Compute(3, 200, RadiusRule.Fixed, 2.5));
        Assert.Equal(2, RadiusSetting.Fixed().DrawnRadius(100, 100));
        Assert.Equal(2, RadiusSetting.Fixed().DrawnRadius(1, 1));
    }

    [Fact]
    public void DefaultsAreTheOfficialThresholds()
    {
        Assert.Equal(new RadiusSetting(RadiusRule.Official, 0.3), RadiusSetting.Official());
        Assert.Equal(new RadiusSetting(RadiusRule.Legacy2018, 0.7), RadiusSetting.Legacy2018());
        Assert.Equal(RadiusSetting.Official(), new TargetOptions(1, 8, 8, 2, 2).Radius);
    }

    [Theory]
    [InlineData(nameof(RadiusRule.Official), 0.0)]
    [InlineData(nameof(RadiusRule.Official), 1.0)]
    [InlineData(nameof(RadiusRule.Legacy2018), double.NaN)]
    [InlineData(nameof(RadiusRule.Fixed), -1.0)]
    public void RejectsParametersOutsideTheirRange(string ruleName, double value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianRadius.Compute(10, 10, Enum.Parse<RadiusRule>(ruleName), value));
}
