using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Tests.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

/// <summary>CornerNet-Squeeze against ../shared/fixtures/lite (the official CornerNet-Lite code), within its README's tolerances.</summary>
public class SqueezeParityTests(ITestOutputHelper output)
{
    static string Lite => SqueezeModelTests.Lite;

    /// <summary>The Squeeze test settings (configs/CornerNet_Squeeze.json): K 20, 100 detections.</summary>
    static readonly DecodeOptions SqueezeDecode = new(K: 20, NumDets: 100);

    internal static CornerNetModel LoadSmallSqueeze()
    {
        var (model, _) = CheckpointConverter.Import(Path.Combine(Lite, "squeeze_small.safetensors"));
        return model;
    }

    [FixtureTheory]
    [InlineData("squeeze_small_legacy.pkl")]
    [InlineData("squeeze_small.safetensors")]
    public void ImportIsBitExactAndInfersTheArchitecture(string file)
    {
        using var scope = NewDisposeScope();
        var (model, classes) = CheckpointConverter.Import(Path.Combine(Lite, file));
        using (model)
        {
            var config = model.Config;
            Assert.Equal(CornerNetConfig.SqueezeFamily, config.Family);
            Assert.Equal(SqueezeModelTests.SmallSqueeze.Stem, config.Stem);
            Assert.Equal(SqueezeModelTests.SmallSqueeze.Dims, config.Dims);
            Assert.Equal(SqueezeModelTests.SmallSqueeze.Modules, config.Modules);
            Assert.Equal((2, 3, 16, 128, 6), (config.Stacks, config.Levels, config.CnvDim, config.PoolDim, config.Classes));
            Assert.Equal(6, classes.Count);
            var expected = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small.safetensors")).LoadAll().ToDictionary(p => p.Key, p => p.Value);
            var ours = model.state_dict();
            Assert.Equal(expected.Count, ours.Count);
            foreach (var (name, tensor) in expected)
                Assert.True(tensor.to_type(ours[name].dtype).Equals(ours[name]), $"{name} differs after import");
        }
    }

    [FixtureTheory]
    [InlineData("")]
    [InlineData("_wide")]
    public void EvalHeadsMatchTheOfficialOnes(string suffix)
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmallSqueeze();
        var io = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small_io.safetensors"));
        using var _ = no_grad();
        var heads = model.forward(io.Load("image" + suffix));
        Assert.Single(heads);
        foreach (var (name, actual) in heads[0].Named())
        {
            string liteName = name.Replace("regrs", "offs");
            var expected = io.Load(liteName + suffix);
            Assert.Equal(expected.shape, actual.shape);
            double tolerance = name.EndsWith("heats") ? 1e-3 : 1e-4;
            double maxDiff = (actual - expected).abs().max().item<float>();
            output.WriteLine($"{liteName}{suffix}: max |Δ| = {maxDiff:E2}");
            Assert.True(maxDiff <= tolerance, $"{liteName}{suffix}: max |Δ| = {maxDiff}");
            if (name.EndsWith("heats"))
            {
                double sigmoidDiff = (actual.sigmoid() - expected.sigmoid()).abs().max().item<float>();
                Assert.True(sigmoidDiff <= 1e-5, $"sigmoid({liteName}{suffix}): max |Δ| = {sigmoidDiff}");
            }
        }
    }

    [FixtureTheory]
    [InlineData("", 15)]
    [InlineData("_wide", 14)]
    public void DecodeMatchesTheOfficialOneToOne(string suffix, int validRows)
    {
        using var scope = NewDisposeScope();
        var io = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small_io.safetensors"));
        var heads = new HeadOutputs(io.Load("tl_heats" + suffix), io.Load("br_heats" + suffix), io.Load("tl_tags" + suffix),
            io.Load("br_tags" + suffix), io.Load("tl_offs" + suffix), io.Load("br_offs" + suffix));
        foreach (var (corner, heat) in new[] { ("tl", heads.TlHeats), ("br", heads.BrHeats) })
        {
            var top = CornerDecoder.TopK(CornerDecoder.SuppressNonPeaks(heat.sigmoid(), 3), SqueezeDecode.K);
            string p = $"decode_{corner}_topk_";
            Assert.True(io.Load(p + "inds" + suffix).Equals(top.Indices), "indices");
            Assert.True(io.Load(p + "clses" + suffix).Equals(top.Classes), "classes");
            double dev = (io.Load(p + "scores" + suffix) - top.Scores).abs().max().item<float>();
            Assert.True(dev <= 1e-5, $"{corner} scores deviate by {dev}");
        }
        var detections = new CornerDecoder(SqueezeDecode).Decode(heads);
        var expected = io.Load("detections" + suffix);
        Assert.Equal(expected.shape, detections.shape);
        var exp = DetectionMatching.ValidRows(expected[0]);
        Assert.Equal(validRows, exp.Count);
        var (box, score) = DetectionMatching.AssertOneToOne(exp, DetectionMatching.ValidRows(detections[0]), 1e-3, 1e-5);
        output.WriteLine($"{suffix}: {exp.Count} valid rows, max box deviation {box:E2}, max score deviation {score:E2}");
    }

    [FixtureTheory]
    [InlineData("")]
    [InlineData("_wide")]
    public void NetworkDecodeMatchesTheOfficialDetections(string suffix)
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmallSqueeze();
        var io = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small_io.safetensors"));
        using var _ = no_grad();
        var h = model.forward(io.Load("image" + suffix))[0];
        var detections = new CornerDecoder(SqueezeDecode).Decode(h);
        var (box, score) = DetectionMatching.AssertOneToOne(DetectionMatching.ValidRows(io.Load("detections" + suffix)[0]),
            DetectionMatching.ValidRows(detections[0]), 1e-3, 1e-5);
        output.WriteLine($"{suffix}: max box deviation {box:E2}, max score deviation {score:E2}");
    }

    [FixtureFact]
    public void FoldedBatchNormKeepsTheOfficialEvalHeads()
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmallSqueeze();
        model.FoldBatchNorm();
        var io = SafeTensorsFile.Read(Path.Combine(Lite, "squeeze_small_io.safetensors"));
        using var _ = no_grad();
        var heads = model.forward(io.Load("image_wide"));
        foreach (var (name, actual) in heads[0].Named())
        {
            string liteName = name.Replace("regrs", "offs");
            double maxDiff = (actual - io.Load(liteName + "_wide")).abs().max().item<float>();
            output.WriteLine($"folded {liteName}_wide: max |Δ| = {maxDiff:E2}");
            Assert.True(maxDiff <= (name.EndsWith("heats") ? 1e-3 : 1e-4), $"folded {liteName}_wide: max |Δ| = {maxDiff}");
        }
    }
}
