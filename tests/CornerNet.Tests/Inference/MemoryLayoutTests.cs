using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Tests.Cli;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public sealed class MemoryLayoutTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("layout-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static CornerNetModel FoldedTinyModel()
    {
        manual_seed(21);
        var model = new CornerNetModel(ModelPresets.Tiny with { Classes = 3 });
        model.eval();
        model.FoldBatchNorm();
        return model;
    }

    static BgrImage RandomImage(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        new Random(5).NextBytes(pixels);
        return new BgrImage(width, height, pixels);
    }

    static IEnumerable<Tensor> ThreeByThreeWeights(CornerNetModel model) =>
        model.modules().OfType<Conv2d>().Select(c => c.weight!).Where(w => w.shape[2] == 3);

    [Fact]
    public void ChannelsLastGivesTheDetectionsOfNchw()
    {
        using var nchwModel = FoldedTinyModel();
        using var lastModel = FoldedTinyModel();
        var image = RandomImage(90, 70);
        var nchw = DetectionPipeline.ForModel(nchwModel, new DetectionOptions { Layout = MemoryLayout.Nchw }).Detect(image);
        var pipeline = DetectionPipeline.ForModel(lastModel, new DetectionOptions { Layout = MemoryLayout.ChannelsLast });
        var last = pipeline.Detect(image);

        Assert.Equal(MemoryLayout.ChannelsLast, pipeline.Options.Layout);
        Assert.NotEmpty(nchw);
        Assert.Equal(nchw.Count, last.Count);
        foreach (var (a, b) in nchw.Zip(last))
        {
            Assert.Equal(a.ClassIndex, b.ClassIndex);
            Assert.Equal(a.Score, b.Score, 1e-5f);
            Assert.Equal(a.X1, b.X1, 1e-3f);
            Assert.Equal(a.Y1, b.Y1, 1e-3f);
            Assert.Equal(a.X2, b.X2, 1e-3f);
            Assert.Equal(a.Y2, b.Y2, 1e-3f);
        }
    }

    [Fact]
    public void TheLayoutIsAppliedToEveryConvolutionAndCanBeUndone()
    {
        using var model = FoldedTinyModel();
        DetectionPipeline.ForModel(model, new DetectionOptions { Layout = MemoryLayout.ChannelsLast });
        Assert.All(ThreeByThreeWeights(model), w => Assert.True(ChannelsLast.IsChannelsLast(w)));
        DetectionPipeline.ForModel(model, new DetectionOptions { Layout = MemoryLayout.Nchw });
        Assert.All(ThreeByThreeWeights(model), w => Assert.True(w.is_contiguous()));
    }

    [Fact]
    public void AModelThatMayStillTrainStaysNchwAndKeepsItsGradients()
    {
        manual_seed(22);
        using var model = new CornerNetModel(ModelPresets.Tiny with { Classes = 3 });
        model.eval();
        var pipeline = DetectionPipeline.ForModel(model, new DetectionOptions { Layout = MemoryLayout.Auto });
        Assert.Equal(MemoryLayout.Nchw, pipeline.Options.Layout);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.All(ThreeByThreeWeights(model), w => Assert.True(w.is_contiguous()));
        var e = Assert.Throws<ArgumentException>(() => DetectionPipeline.ForModel(model, new DetectionOptions { Layout = MemoryLayout.ChannelsLast }));
        Assert.Contains("BatchNorm folded", e.Message);
    }

    [Fact]
    public void ANetworkOfAnotherEngineRefusesChannelsLastAndRunsNchwForAuto()
    {
        static HeadOutputs Network(Tensor batch) => throw new InvalidOperationException("not run");
        var config = ModelPresets.Tiny with { Classes = 3 };
        Assert.Throws<InvalidInputException>(() => DetectionPipeline.ForNetwork(Network, config, new DetectionOptions { Layout = MemoryLayout.ChannelsLast }));
        Assert.Equal(MemoryLayout.Nchw, DetectionPipeline.ForNetwork(Network, config, new DetectionOptions()).Options.Layout);
    }

    /// <summary>The float32 auto layout with this test's cache folder for a family (default: Hourglass-104).</summary>
    AutoLayout Decide(int threads, CornerNetConfig? family = null)
    {
        var config = family ?? ModelPresets.Hourglass104;
        return AutoLayout.Decide(ScalarType.Float32, _dir, config.Family.Name, config.Family.LayoutBlock, threads);
    }

    [Fact]
    public void AutoDecisionIsMeasuredOnceAndCachedPerThreadCount()
    {
        var first = Decide(threads: 1);
        Assert.StartsWith("measured now, cached in " + _dir, first.Source);
        Assert.NotNull(first.Probe);
        Assert.Equal(first.Probe!.Speedup >= AutoLayout.RequiredSpeedup ? MemoryLayout.ChannelsLast : MemoryLayout.Nchw, first.Chosen);
        var second = Decide(threads: 1);
        Assert.StartsWith("measured earlier", second.Source);
        Assert.Equal(first.Probe, second.Probe);
        Assert.StartsWith("measured now", Decide(threads: 2).Source);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void EachNetworkFamilyIsMeasuredOnItsOwnBlock()
    {
        var hourglass = Decide(threads: 1, ModelPresets.Hourglass104);
        var squeeze = Decide(threads: 1, ModelPresets.Squeeze);
        Assert.StartsWith("measured now", hourglass.Source);
        Assert.StartsWith("measured now", squeeze.Source);
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
        Assert.True(squeeze.Probe!.BaselineSeconds > 0 && squeeze.Probe.CandidateSeconds > 0);
        Assert.StartsWith("measured earlier", Decide(threads: 1, ModelPresets.Squeeze).Source);
    }

    [Fact]
    public void ACorruptCacheFileIsMeasuredAgain()
    {
        var first = Decide(threads: 1);
        File.WriteAllText(Directory.GetFiles(_dir).Single(), "{ not json");
        Assert.StartsWith("measured now", Decide(threads: 1).Source);
        Assert.NotNull(first.Probe);
    }

    [Fact]
    public void UnknownLayoutIsOneLineExitTwo()
    {
        var (code, stdout, error) = CliRunner.Run("detect", Path.Combine(_dir, "model.safetensors"),
            Path.Combine(Fixtures.RepoRoot, "samples", "images", "000001.png"), "--layout", "nhwc");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("unknown --layout 'nhwc' (auto, nchw, channels-last)", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void OnnxEngineWithChannelsLastIsOneLineExitTwo()
    {
        string onnx = Path.Combine(_dir, "model.onnx");
        File.WriteAllText(onnx, "not needed: the layout is checked first");
        var (code, _, error) = CliRunner.Run("detect", onnx, Path.Combine(Fixtures.RepoRoot, "samples", "images", "000001.png"),
            "--engine", "onnx", "--layout", "channels-last");
        Assert.Equal(2, code);
        Assert.Contains("channels-last needs a .safetensors model", error);
    }
}
