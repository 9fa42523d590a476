using CornerNet.Quantization;

namespace CornerNet.Tests.Quantization;

public sealed class AutoActivationTypeTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("int8-probe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AutoDecisionIsMeasuredOnceCachedPerThreadCountAndReadBack()
    {
        var first = AutoActivationType.Decide(_dir, threads: 1);
        Assert.NotNull(first.Probe);
        Assert.StartsWith("measured now, cached in " + _dir, first.Source);
        Assert.Equal(first.Probe!.Speedup > 1 ? ActivationType.Int8 : ActivationType.Uint8, first.Chosen);
        var second = AutoActivationType.Decide(_dir, threads: 1);
        Assert.StartsWith("measured earlier, cached in " + _dir, second.Source);
        Assert.Equal(first.Probe, second.Probe);
        Assert.Equal(first.Chosen, second.Chosen);
        Assert.StartsWith("measured now", AutoActivationType.Decide(_dir, threads: 2).Source);
        Assert.All(Directory.GetFiles(_dir), f => Assert.StartsWith("int8-probe-", Path.GetFileName(f)));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }
}
