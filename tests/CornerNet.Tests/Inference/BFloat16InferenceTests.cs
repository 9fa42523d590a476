using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Tests.Cli;
using CornerNet.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public sealed class BFloat16InferenceTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("bf16-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Largest |bf16 − fp32| of each head over the largest |fp32| of that head (bfloat16 keeps 8 significant bits).</summary>
    const double HeadTolerance = 0.02;

    /// <summary>Per head: max |bf16 − fp32| and max |fp32|, the model folded and run as DetectionPipeline runs it in each precision.</summary>
    static List<(string Name, double MaxDeviation, double MaxMagnitude)> HeadDeviations(CornerNetModel model, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.FoldBatchNorm();
        var fp32 = model.forward(input)[^1];
        model.to(ScalarType.BFloat16);
        var bf16 = model.forward(input.to(ScalarType.BFloat16))[^1];
        Assert.Equal(ScalarType.BFloat16, bf16.TlHeats.dtype);
        return fp32.Named().Zip(bf16.Named()).Select(pair =>
        {
            var (name, e) = pair.First;
            var a = pair.Second.Value.to(ScalarType.Float32);
            return (name, (a - e).abs().max().item<float>() * 1.0, e.abs().max().item<float>() * 1.0);
        }).ToList();
    }

    void AssertWithinTolerance(List<(string Name, double MaxDeviation, double MaxMagnitude)> deviations, string what)
    {
        foreach (var (name, deviation, magnitude) in deviations)
        {
            output.WriteLine($"{what} {name}: max |bf16 − fp32| = {deviation:G3} (max |fp32| = {magnitude:G3})");
            Assert.True(deviation <= HeadTolerance * magnitude, $"{what} {name}: max |Δ| = {deviation} > {HeadTolerance} × {magnitude}");
        }
    }

    [Theory]
    [InlineData("tiny")]
    [InlineData("squeeze-tiny")]
    public void Bf16HeadsOfTinyModelsAreWithinToleranceOfFp32(string preset)
    {
        manual_seed(5);
        var config = ModelPresets.Get(preset).WithSquareInput(127);
        using var model = new CornerNetModel(config);
        model.eval();
        using var input = randn(2, 3, 127, 127);
        AssertWithinTolerance(HeadDeviations(model, input), preset);
    }

    [FixtureFact]
    public void Bf16HeadsOfTheSmallFixtureModelAreWithinToleranceOfFp32()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        using var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
        AssertWithinTolerance(HeadDeviations(model, io.Load("image")), "small fixture");
    }

    [Fact]
    public void Bf16DetectionsOfTheShippedModelMatchFp32OnTheSamples()
    {
        string modelPath = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");
        var images = Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "samples", "images"), "*.png").Order().ToList();
        using var fp32 = Detector.Load(modelPath, new DetectionOptions { Precision = Precision.Fp32 });
        using var bf16 = Detector.Load(modelPath, new DetectionOptions { Precision = Precision.Bf16 });
        Assert.Equal(Precision.Bf16, bf16.Options.Precision);
        int compared = 0;
        foreach (string image in images)
        {
            var expected = fp32.Detect(image);
            var actual = bf16.Detect(image);
            foreach (var e in expected.Where(d => d.Score >= 0.5f))
            {
                // The same class, a box within 3 pixels on every side, a score within 0.03.
                static float Distance(DetectedObject a, DetectedObject b) =>
                    new[] { a.X1 - b.X1, a.Y1 - b.Y1, a.X2 - b.X2, a.Y2 - b.Y2 }.Max(Math.Abs);
                var nearest = actual.Where(a => a.ClassIndex == e.ClassIndex).MinBy(a => Distance(a, e));
                Assert.True(nearest is not null && Distance(nearest, e) <= 3 && Math.Abs(nearest.Score - e.Score) <= 0.03f,
                    $"{Path.GetFileName(image)}: fp32 {e} has no bf16 match; nearest {nearest}");
                compared++;
            }
        }
        Assert.True(compared >= 10, $"only {compared} confident detections to compare");
    }

    [Fact]
    public void AutoDecisionIsMeasuredOnceCachedAndReadBack()
    {
        string flags = CpuIdentity.Current.Flags + " avx512_bf16";
        var first = AutoPrecision.Decide(flags, _dir);
        Assert.NotNull(first.Probe);
        Assert.StartsWith("measured now, cached in " + _dir, first.Source);
        Assert.Equal(first.Probe!.Speedup >= AutoPrecision.RequiredSpeedup ? Precision.Bf16 : Precision.Fp32, first.Chosen);
        var second = AutoPrecision.Decide(flags, _dir);
        Assert.StartsWith("measured earlier, cached in " + _dir, second.Source);
        Assert.Equal(first.Probe, second.Probe);
        Assert.Equal(first.Chosen, second.Chosen);
    }

    [Fact]
    public void AutoDecisionIsCachedPerThreadCount()
    {
        string flags = CpuIdentity.Current.Flags + " avx512_bf16";
        Assert.StartsWith("measured now", AutoPrecision.Decide(flags, _dir, threads: 1).Source);
        Assert.StartsWith("measured now", AutoPrecision.Decide(flags, _dir, threads: 2).Source);
        Assert.StartsWith("measured earlier", AutoPrecision.Decide(flags, _dir, threads: 1).Source);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void AutoIsFp32WithoutNativeBFloat16AndMeasuresNothing()
    {
        var decision = AutoPrecision.Decide("fpu sse2 avx2 avx512f", _dir);
        Assert.Equal(Precision.Fp32, decision.Chosen);
        Assert.Null(decision.Probe);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void OnnxEngineWithBf16IsOneLineExitTwo()
    {
        string onnx = Path.Combine(_dir, "model.onnx");
        File.WriteAllText(onnx, "not needed: precision is checked first");
        var (code, stdout, error) = CliRunner.Run("detect", onnx, Path.Combine(Fixtures.RepoRoot, "samples", "images", "000001.png"), "--engine", "onnx", "--precision", "bf16");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the onnx engine runs float32 only", line);
    }

    [Fact]
    public void OtherNetworksRunFp32UnderAutoAndRefuseBf16()
    {
        // An outside network (e.g. ONNX Runtime) runs in its own precision: auto means fp32 there, bf16 is refused.
        static HeadOutputs Network(Tensor batch) => throw new InvalidOperationException("not run");
        var config = ModelPresets.Tiny;
        Assert.Equal(Precision.Fp32, DetectionPipeline.ForNetwork(Network, config, new DetectionOptions { Precision = Precision.Auto }).Options.Precision);
        var error = Assert.Throws<InvalidInputException>(() => DetectionPipeline.ForNetwork(Network, config, new DetectionOptions { Precision = Precision.Bf16 }));
        Assert.Contains("bf16 precision runs TorchSharp models only", error.Message);
    }

    [Fact]
    public void UnknownPrecisionIsExitTwo()
    {
        var (code, _, error) = CliRunner.Run("detect", Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors"),
            Path.Combine(Fixtures.RepoRoot, "samples", "images", "000001.png"), "--precision", "fp16");
        Assert.Equal(2, code);
        Assert.Contains("unknown --precision 'fp16' (fp32, bf16, auto)", error);
    }

    [Fact]
    public void VersionShowsThePrecisionDecision()
    {
        using var forced = AutoPrecision.Force(new AutoPrecision(Precision.Bf16, new SpeedComparison(0.02, 0.01, 0.3), "measured earlier, cached in /x/bf16-probe-1.json"));
        var (code, stdout, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Contains("precision auto = bf16 (bf16 2.00× fp32 speed, needs 1.2×; measured earlier, cached in /x/bf16-probe-1.json)", stdout);
    }
}
