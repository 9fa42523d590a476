using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class BatchNormFoldingTests
{
    static void AssertHeadsClose(HeadOutputs expected, HeadOutputs actual, string what)
    {
        foreach (var ((name, e), (_, a)) in expected.Named().Zip(actual.Named()))
        {
            Assert.Equal(e.shape, a.shape);
            double tolerance = name.EndsWith("heats", StringComparison.Ordinal) ? 1e-3 : 1e-4;
            double maxDiff = (a - e).abs().max().item<float>();
            Assert.True(maxDiff <= tolerance, $"{what} {name}: max |Δ| = {maxDiff}");
        }
    }

    [Fact]
    public void FoldedSmallModelMatchesUnfoldedWithRandomBatchNormStatistics()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = new CornerNetModel(ModelPresets.Small);
        using (no_grad())
        {
            foreach (var bn in model.modules().OfType<BatchNorm2dModule>())
            {
                bn.running_mean!.copy_(randn_like(bn.running_mean).mul_(0.2));
                bn.running_var!.copy_(rand_like(bn.running_var).mul_(1.5).add_(0.25));
                bn.weight!.copy_(rand_like(bn.weight).add_(0.5));
                bn.bias!.copy_(randn_like(bn.bias).mul_(0.2));
            }
        }
        using var folded = new CornerNetModel(ModelPresets.Small);
        folded.load_state_dict(model.state_dict());
        model.eval();
        folded.FoldBatchNorm();
        var input = randn(2, 3, 127, 127);
        using var _ = no_grad();
        AssertHeadsClose(model.forward(input)[0], folded.forward(input)[0], "random statistics");
    }

    [FixtureFact]
    public void FoldedFixtureModelReproducesOfficialEvalHeads()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        using var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        model.FoldBatchNorm();
        var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
        using var _ = no_grad();
        foreach (var suffix in new[] { "", "_wide" })
        {
            var heads = model.forward(io.Load("image" + suffix));
            var expected = new HeadOutputs(io.Load("tl_heats" + suffix), io.Load("br_heats" + suffix), io.Load("tl_tags" + suffix),
                io.Load("br_tags" + suffix), io.Load("tl_regrs" + suffix), io.Load("br_regrs" + suffix));
            AssertHeadsClose(expected, Assert.Single(heads), "image" + suffix);
        }
    }

    [Fact]
    public void FoldedModelIsInferenceOnly()
    {
        using var model = new CornerNetModel(ModelPresets.Tiny);
        model.FoldBatchNorm();
        Assert.True(model.IsBatchNormFolded);
        Assert.False(model.training);
        Assert.Throws<InvalidOperationException>(() => model.train());
        string path = Path.Combine(Path.GetTempPath(), $"folded_{Guid.NewGuid():N}.safetensors");
        Assert.Throws<InvalidOperationException>(() => ModelFile.Save(path, model, CocoClasses.All.Take(10).ToList()));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void FoldingAConvolutionWithBiasEqualsConvolutionThenBatchNorm()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var conv = nn.Conv2d(4, 6, 3, padding: 1, bias: true);
        var bn = new BatchNorm2dModule(6);
        using (no_grad())
        {
            bn.running_mean!.copy_(randn(6));
            bn.running_var!.copy_(rand(6).add_(0.1));
            bn.weight!.copy_(randn(6));
            bn.bias!.copy_(randn(6));
        }
        bn.eval();
        var x = randn(2, 4, 9, 9);
        using var _ = no_grad();
        var expected = bn.forward(conv.forward(x));
        BatchNormFolding.Fold(conv, bn);
        var actual = conv.forward(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }
}
