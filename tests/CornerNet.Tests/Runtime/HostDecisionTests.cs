using CornerNet.Runtime;

namespace CornerNet.Tests.Runtime;

public sealed class HostDecisionTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("host-decision-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly HostDecision.Words Words = HostDecision.Speed("test");

    [Fact]
    public void EachKeyIsDecidedOncePerProcess()
    {
        var decisions = new HostDecision<string>();
        int made = 0;
        string Decide(string value)
        {
            made++;
            return value;
        }
        Assert.Equal("a", decisions.For("a", () => Decide("a")));
        Assert.Equal("a", decisions.For("a", () => Decide("again")));
        Assert.Equal("b", decisions.For("b", () => Decide("b")));
        Assert.Equal(2, made);
    }

    [Fact]
    public void AForcedDecisionWinsUntilDisposed()
    {
        var decisions = new HostDecision<string>();
        using (decisions.Force("forced"))
            Assert.Equal("forced", decisions.For("a", () => "decided"));
        Assert.Equal("decided", decisions.For("a", () => "decided"));
    }

    [Fact]
    public void AMeasurementIsCachedAndReadBackInOneFormat()
    {
        int measured = 0;
        SpeedComparison Measure()
        {
            measured++;
            return new SpeedComparison(0.02, 0.01, 0.1);
        }
        var first = HostDecision.Measured(_dir, "test-probe", "key", p => p.IsComplete, Measure, Words);
        var path = new ProbeCache(_dir, "test-probe").PathFor("key");
        Assert.Equal($"measured now, cached in {path}", first.Source);
        var second = HostDecision.Measured(_dir, "test-probe", "key", p => p.IsComplete, Measure, Words);
        Assert.Equal($"measured earlier, cached in {path}", second.Source);
        Assert.Equal(first.Result, second.Result);
        Assert.Equal(1, measured);
        Assert.StartsWith("test-probe-", Path.GetFileName(Directory.GetFiles(_dir).Single()));
    }

    [Fact]
    public void AnUnusableCachedMeasurementIsMeasuredAgain()
    {
        new ProbeCache(_dir, "test-probe").Write("key", new SpeedComparison(0, 0, 0));
        var (result, source) = HostDecision.Measured(_dir, "test-probe", "key", p => p.IsComplete,
            () => new SpeedComparison(0.02, 0.01, 0.1), Words);
        Assert.Equal(2.0, result!.Speedup, 6);
        Assert.StartsWith("measured now, cached in", source);
    }

    [Fact]
    public void AFailedMeasurementGivesNoResultAndSaysWhy()
    {
        var (result, source) = HostDecision.Measured<SpeedComparison>(null, "test-probe", "key", _ => true,
            () => throw new InvalidOperationException("no kernel\nsecond line"), Words);
        Assert.Null(result);
        Assert.Equal("test measurement failed (no kernel)", source);
    }

    [Fact]
    public void WithoutACacheFolderTheMeasurementIsNotCached()
    {
        var (result, source) = HostDecision.Measured(null, "test-probe", "key", _ => true,
            () => new SpeedComparison(0.02, 0.01, 0.1), HostDecision.Probed);
        Assert.NotNull(result);
        Assert.Equal("probed now, not cached (no cache folder)", source);
    }

    [Fact]
    public void TheTimerComparesTwoVariantsAlternately()
    {
        var order = new List<string>();
        var comparison = SpeedComparison.BestWallTime(() => order.Add("a"), () =>
        {
            order.Add("b");
            Thread.Sleep(5);
        }, rounds: 3);
        Assert.Equal(["a", "b", "a", "b", "a", "b", "a", "b"], order);
        Assert.True(comparison.CandidateSeconds >= 0.004, $"candidate {comparison.CandidateSeconds} s");
        Assert.True(comparison.Speedup < 1);
        Assert.True(comparison.IsComplete);
    }
}
