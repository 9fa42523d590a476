using CornerNet.Model;
using CornerNet.Runtime;

namespace CornerNet.Tests.Runtime;

public sealed class OneDnnProbeTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("onednn-probe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly OneDnnProbeResult Sample = new(true, 3.5e-7, false, 0.23, 0.41);

    [Fact]
    public void ProbeOnThisHostGivesAVerdictConsistentWithItsErrors()
    {
        var result = OneDnnProbe.Run();
        Assert.Equal(result.ForwardError <= OneDnnProbe.Tolerance, result.ForwardCorrect);
        Assert.Equal(result.InputGradientError <= OneDnnProbe.Tolerance, result.InputGradientCorrect);
        Assert.True(result.ForwardError >= 0 || double.IsNaN(result.ForwardError));
        Assert.True(result.InputGradientError >= 0 || double.IsNaN(result.InputGradientError));
        Assert.InRange(result.Seconds, 0, 60);
        // Deterministic: its own generator, so a second run finds the same.
        var again = OneDnnProbe.Run();
        Assert.Equal((result.ForwardCorrect, result.InputGradientCorrect), (again.ForwardCorrect, again.InputGradientCorrect));
    }

    [Fact]
    public void ProbeLeavesTheGlobalRandomSequenceAlone()
    {
        TorchSharp.torch.manual_seed(11);
        var first = TorchSharp.torch.randn(4).data<float>().ToArray();
        TorchSharp.torch.manual_seed(11);
        OneDnnProbe.Run();
        var second = TorchSharp.torch.randn(4).data<float>().ToArray();
        Assert.Equal(first, second);
    }

    [Fact]
    public void CacheRoundTripsAResultUnderItsKey()
    {
        var cache = new ProbeCache(Path.Combine(_dir, "nested"));
        Assert.Null(cache.Read<OneDnnProbeResult>("cpu A"));
        Assert.True(cache.Write("cpu A", Sample));
        Assert.Equal(Sample, cache.Read<OneDnnProbeResult>("cpu A"));
        Assert.Null(cache.Read<OneDnnProbeResult>("cpu B"));
        Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp-*"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("[1, 2]")]
    [InlineData("{\"key\": \"cpu A\", \"result\": null}")]
    [InlineData("{\"key\": \"another cpu\", \"result\": {\"forward_correct\": true}}")]
    public void CorruptOrForeignCacheFileIsNoResult(string content)
    {
        var cache = new ProbeCache(_dir);
        File.WriteAllText(cache.PathFor("cpu A"), content);
        Assert.Null(cache.Read<OneDnnProbeResult>("cpu A"));
        Assert.True(cache.Write("cpu A", Sample));
        Assert.Equal(Sample, cache.Read<OneDnnProbeResult>("cpu A"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void UnwritableCacheFolderIsNoErrorAndTheProbeStillDecides()
    {
        // A file where the folder should be cannot be written even by root (a read-only folder can).
        string blocked = Path.Combine(_dir, "blocked");
        File.WriteAllText(blocked, "");
        Assert.False(new ProbeCache(blocked).Write("cpu A", Sample));
        Assert.Null(new ProbeCache(blocked).Read<OneDnnProbeResult>("cpu A"));

        string readOnly = Path.Combine(_dir, "read-only");
        Directory.CreateDirectory(readOnly);
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            // Root may still write there; either way the decision must follow the probe and say where it came from.
            var fromReadOnly = ConvolutionPaths.Decide(_ => null, readOnly);
            Assert.Matches("^probed now, (cached in|not cached)", fromReadOnly.Source);
            var paths = ConvolutionPaths.Decide(_ => null, blocked);
            Assert.NotNull(paths.Probe);
            Assert.Equal($"probed now, not cached ({blocked} not writable)", paths.Source);
            Assert.Equal(!paths.Probe!.ForwardCorrect, paths.PaddedForward);
            Assert.Equal(!paths.Probe.InputGradientCorrect, paths.InputGradientByForward);
        }
        finally { File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
    }

    [Fact]
    public void DecisionIsCachedAndReadBackWithoutProbingAgain()
    {
        var first = ConvolutionPaths.Decide(_ => null, _dir);
        Assert.StartsWith("probed now, cached in", first.Source);
        var second = ConvolutionPaths.Decide(_ => null, _dir);
        Assert.StartsWith("probe cached in", second.Source);
        Assert.Equal(first.Probe, second.Probe);
        Assert.Equal((first.PaddedForward, first.InputGradientByForward), (second.PaddedForward, second.InputGradientByForward));
    }

    [Theory]
    [InlineData("plain", "plain", false, false)]
    [InlineData("padded", "forward", true, true)]
    [InlineData("PADDED", "plain", true, false)]
    public void EnvironmentForcesBothPathsWithoutProbing(string forward, string gradient, bool padded, bool byForward)
    {
        var environment = new Dictionary<string, string> { [ConvolutionPaths.ForwardVariable] = forward, [ConvolutionPaths.InputGradientVariable] = gradient };
        var paths = ConvolutionPaths.Decide(name => environment.GetValueOrDefault(name), cacheDirectory: null);
        Assert.Equal((padded, byForward), (paths.PaddedForward, paths.InputGradientByForward));
        Assert.Null(paths.Probe);
        Assert.Contains("forced by", paths.Source);
    }

    [Fact]
    public void EnvironmentForcingOnePathLeavesTheOtherToTheProbe()
    {
        var paths = ConvolutionPaths.Decide(name => name == ConvolutionPaths.ForwardVariable ? "padded" : null, _dir);
        Assert.True(paths.PaddedForward);
        Assert.Equal(!paths.Probe!.InputGradientCorrect, paths.InputGradientByForward);
        Assert.Contains($"forced by {ConvolutionPaths.ForwardVariable}=padded", paths.Source);
    }

    [Fact]
    public void UnknownEnvironmentValueIsAClearError()
    {
        var error = Assert.Throws<InvalidInputException>(() => ConvolutionPaths.Decide(name => name == ConvolutionPaths.InputGradientVariable ? "fast" : null, null));
        Assert.Equal($"environment variable {ConvolutionPaths.InputGradientVariable}=fast: expected probe, plain or forward", error.Message);
    }

    [Fact]
    public void CpuIdentityIsReadFromCpuinfo()
    {
        string path = Path.Combine(_dir, "cpuinfo");
        File.WriteAllText(path, "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nstepping\t: 1\nflags\t\t: fpu avx2 avx512f avx512_vnni\n\nprocessor\t: 1\nmodel name\t: other\n");
        var cpu = CpuIdentity.Read(path);
        Assert.Equal(new CpuIdentity("AuthenticAMD", "AMD EPYC", "25", "17", "1", "fpu avx2 avx512f avx512_vnni"), cpu);
        Assert.Equal("AMD EPYC (AuthenticAMD, family 25, model 17, stepping 1); avx512f avx512_vnni", cpu.Describe());
        Assert.Equal("?", CpuIdentity.Read(Path.Combine(_dir, "missing")).ModelName);
    }
}
