using CornerNet.Benchmarks;
using CornerNet.Runtime;

namespace CornerNet.Tests.Benchmarks;

public class BenchmarkRecordTests
{
    [Fact]
    public void FromTimesGivesMedianMinMaxAndRuns()
    {
        var odd = BenchmarkRecord.FromTimes("x", [5.0, 1.0, 3.0]);
        Assert.Equal((3.0, 1.0, 5.0, 3), (odd.MedianMs, odd.MinMs, odd.MaxMs, odd.Runs));
        var even = BenchmarkRecord.FromTimes("x", [4.0, 1.0, 2.0, 8.0]);
        Assert.Equal(3.0, even.MedianMs);
    }

    [Fact]
    public void InterleavedTimesEveryVariantOncePerRunAfterWarmup()
    {
        var calls = new List<string>();
        var records = BenchmarkTimer.Interleaved([("a", () => calls.Add("a")), ("b", () => calls.Add("b"))], warmup: 1, runs: 2);
        Assert.Equal(["a", "b", "a", "b", "a", "b"], calls);
        Assert.All(records, r => Assert.Equal(2, r.Runs));
    }
}
