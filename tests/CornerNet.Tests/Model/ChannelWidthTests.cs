using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Tests.Layers;
using CornerNet.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

/// <summary>
/// Channel widths above 16 that are not multiples of 16 (24/40/56), which oneDNN computes wrongly on some AVX-512 CPUs,
/// are accepted and computed right on every path: plain, channel-padded forward, input gradient by forward convolutions.
/// </summary>
public sealed class ChannelWidthTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("channel-widths-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The official <c>kp</c> signature (stem, n, dims, modules, cnv_dim) with odd multiples of 8, kept tiny.</summary>
    static readonly CornerNetConfig OddWidths = new CornerNetConfig
    {
        Stem = [16, 24], Stacks = 2, Levels = 2, Dims = [24, 40, 56], Modules = [1, 1, 1], CnvDim = 40, PoolDim = 24, Classes = 3,
    }.WithSquareInput(63);

    [Fact]
    public void ConfigWithWidths24_40_56Validates()
    {
        OddWidths.Validate("odd.json");
        var parsed = CornerNetConfig.FromJson(OddWidths.ToJson(), "odd.json");
        Assert.Equal(OddWidths.ToJson(), parsed.ToJson());
        foreach (string name in ModelPresets.Names) ModelPresets.Get(name).Validate(name);
    }

    // The model cannot be moved to float64 (its BatchNorm keeps get-only tensors), so the reference is the plain
    // oneDNN path where this host's probe found it right, else both exact fallbacks (each checked against float64 per
    // convolution in GuardedConvolutionTests).
    [Fact]
    public void TrainStepGivesTheSameHeadsAndGradientsOnEveryPath()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var model = new CornerNetModel(OddWidths);
        var image = randn(1, 3, 63, 63);
        var probe = OneDnnProbe.Run();
        bool hostCorrect = probe.ForwardCorrect && probe.InputGradientCorrect;
        List<Tensor> referenceHeads;
        Dictionary<string, Tensor> referenceGrads;
        using (ConvolutionPaths.Force(new ConvolutionPaths(!hostCorrect, !hostCorrect, null, "reference")))
            (referenceHeads, referenceGrads) = ForwardBackward(model, image);
        // Every path that runs no kernel this host's probe found wrong.
        foreach (var paths in GuardedConvolutionTests.AllPaths().Where(p => (p.PaddedForward || probe.ForwardCorrect) && (p.InputGradientByForward || probe.InputGradientCorrect)))
        {
            using var forced = ConvolutionPaths.Force(paths);
            var (heads, grads) = ForwardBackward(model, image);
            for (int i = 0; i < heads.Count; i++)
                Assert.True(Relative(heads[i], referenceHeads[i]) < 1e-5, $"{paths.Describe()}: head {i} off by {Relative(heads[i], referenceHeads[i])}");
            foreach (var (name, grad) in grads)
                Assert.True(Relative(grad, referenceGrads[name]) < 1e-5, $"{paths.Describe()}: gradient of {name} off by {Relative(grad, referenceGrads[name])}");
        }
    }

    [Fact]
    public void FoldedInferenceOnEveryPathMatchesTheUnfoldedNetwork()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        using var model = new CornerNetModel(OddWidths);
        model.eval();
        var image = randn(1, 3, 63, 63);
        var probe = OneDnnProbe.Run();
        List<Tensor> expected;
        using (ConvolutionPaths.Force(new ConvolutionPaths(!probe.ForwardCorrect, false, null, "reference")))
        using (no_grad())
            expected = model.forward(image)[^1].Named().Select(kv => kv.Value).ToList();
        model.FoldBatchNorm();
        foreach (var paths in GuardedConvolutionTests.AllPaths().Where(p => p.PaddedForward || probe.ForwardCorrect))
        {
            using var forced = ConvolutionPaths.Force(paths);
            using var noGrad = no_grad();
            var actual = model.forward(image)[^1].Named().Select(kv => kv.Value).ToList();
            for (int i = 0; i < actual.Count; i++)
                Assert.True(Relative(actual[i], expected[i]) < 1e-4, $"{paths.Describe()}: head {i} off by {Relative(actual[i], expected[i])}");
        }
    }

    [Fact]
    public void OfficialStyleCheckpointWithWidths24_40_56ConvertsAndRuns()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var original = new CornerNetModel(OddWidths);
        original.eval();
        // An official checkpoint is a DataParallel state dict: every key carries the "module." prefix.
        string checkpoint = Path.Combine(_dir, "official.safetensors");
        SafeTensorsFile.Write(checkpoint, original.state_dict().Select(kv => new KeyValuePair<string, Tensor>("module." + kv.Key, kv.Value)));
        string converted = Path.Combine(_dir, "converted.safetensors");
        var config = CheckpointConverter.Convert(checkpoint, converted);
        Assert.Equal(OddWidths.Dims, config.Dims);
        Assert.Equal((24, 40, 24), (config.Stem[1], config.CnvDim, config.PoolDim));
        var (loaded, _) = ModelFile.Load(converted);
        using (loaded)
        using (no_grad())
        {
            var image = randn(1, 3, 63, 63);
            var expected = original.forward(image)[^1].Named().ToList();
            var actual = loaded.forward(image)[^1].Named().ToList();
            for (int i = 0; i < expected.Count; i++)
                Assert.True(actual[i].Value.allclose(expected[i].Value, rtol: 1e-5, atol: 1e-5), $"{expected[i].Key} differs after conversion");
        }
    }

    /// <summary>Every stack's heads, and every parameter's gradient of their sum weighted by fixed random tensors.</summary>
    static (List<Tensor> Heads, Dictionary<string, Tensor> Grads) ForwardBackward(CornerNetModel model, Tensor image)
    {
        model.train();
        model.zero_grad();
        var heads = model.forward(image).SelectMany(h => h.Named().Select(kv => kv.Value)).ToList();
        var generator = new Generator(9);
        var loss = heads.Select(h => (h * randn(h.shape, generator: generator).to(h.dtype)).sum()).Aggregate((a, b) => a + b);
        loss.backward();
        var grads = model.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!.detach().clone());
        return (heads.Select(h => h.detach()).ToList(), grads);
    }

    static double Relative(Tensor actual, Tensor expected) =>
        (actual.to(float64) - expected.to(float64)).norm().item<double>() / expected.to(float64).norm().item<double>();
}
