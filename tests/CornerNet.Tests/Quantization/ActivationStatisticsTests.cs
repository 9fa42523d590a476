using CornerNet.Quantization;

namespace CornerNet.Tests.Quantization;

public class ActivationStatisticsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Gaussian values with a few large outliers, as activations with rare spikes look.</summary>
    static float[] GaussianWithOutliers(int seed, bool nonNegative)
    {
        var random = new Random(seed);
        var values = new float[200_000];
        for (int i = 0; i < values.Length; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            float v = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            values[i] = nonNegative ? Math.Max(0, v) : v;
        }
        for (int i = 0; i < 5; i++) values[100_000 + random.Next(100_000)] = 40f + i;
        if (!nonNegative) values[100_000 + random.Next(100_000)] = -35f;
        return values;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClippingMethodsGiveRangesInsideMinMaxAndCutTheOutliers(bool nonNegative)
    {
        var statistics = new ActivationStatistics();
        var values = GaussianWithOutliers(3, nonNegative);
        // In two parts, the second widening the histogram, as later calibration images do.
        var first = values[..100_000].Select(v => Math.Clamp(v, -5f, 5f)).ToArray();
        statistics.Observe(first);
        statistics.Observe(values.AsSpan(100_000));
        var observed = first.Concat(values[100_000..]).ToArray();

        var minMax = statistics.Range(CalibrationMethod.MinMax);
        Assert.Equal(observed.Min(), minMax.Low);
        Assert.Equal(observed.Max(), minMax.High);
        foreach (var method in new[] { CalibrationMethod.Percentile, CalibrationMethod.Entropy })
        {
            var range = statistics.Range(method, percentile: 99.99); // 6 outliers in 200,000 values are 0.003 %
            Assert.True(range.Low >= minMax.Low && range.High <= minMax.High, $"{method}: [{range.Low}, {range.High}] outside min/max");
            Assert.True(range.High < 10, $"{method} kept the outliers: high {range.High}");
            output.WriteLine($"{method}: [{range.Low}, {range.High}] (min/max [{minMax.Low}, {minMax.High}])");
            Assert.True(range.High > 1.5, $"{method} cut the bulk of the distribution: high {range.High}");
            if (nonNegative) Assert.Equal(0f, range.Low);
            else Assert.True(range.Low < -2 && range.Low > -10, $"{method}: low {range.Low}");
        }
        Assert.True(statistics.Range(CalibrationMethod.Percentile, 99.0).High <= statistics.Range(CalibrationMethod.Percentile, 99.999).High);
    }

    [Fact]
    public void AllZeroTensorHasAnEmptyRange()
    {
        var statistics = new ActivationStatistics();
        statistics.Observe(new float[1000]);
        foreach (var method in Enum.GetValues<CalibrationMethod>())
            Assert.Equal((0f, 0f), statistics.Range(method));
    }

    [Fact]
    public void NonFiniteActivationsAreRefused()
    {
        var statistics = new ActivationStatistics();
        Assert.Throws<InvalidOperationException>(() => statistics.Observe(new[] { 1f, float.NaN }));
        Assert.Throws<InvalidOperationException>(() => new ActivationStatistics().Range(CalibrationMethod.MinMax));
    }
}
