using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Tests.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>
/// CornerNet-Saccade's network, weights and decode against ../shared/fixtures/saccade (the official CornerNet-Lite
/// code), within its README's tolerances.
/// </summary>
public class SaccadeModelParityTests(ITestOutputHelper output)
{
    /// <summary>The Saccade test settings: K 12, 12 detections, ae 0.3, kernel 3, no_border.</summary>
    internal static readonly DecodeOptions SaccadeDecode = new(K: 12, AeThreshold: 0.3, NumDets: 12, NoBorder: true);

    static string Io => Path.Combine(Fixtures.Saccade, "saccade_small_io.safetensors");

    internal static SaccadeModel LoadSmall() =>
        SaccadeCheckpoint.Import(Path.Combine(Fixtures.Saccade, "saccade_small.safetensors"));

    [FixtureTheory]
    [InlineData("saccade_small_legacy.pkl")]
    [InlineData("saccade_small.safetensors")]
    public void ImportIsBitExactAndInfersTheArchitecture(string file)
    {
        using var scope = NewDisposeScope();
        using var model = SaccadeCheckpoint.Import(Path.Combine(Fixtures.Saccade, file));
        var c = model.Config;
        Assert.Equal([8, 10], c.Stem);
        Assert.Equal([10, 12, 16, 20], c.Dims);
        Assert.Equal([1, 1, 1, 2], c.Modules);
        Assert.Equal((2, 3, 6, 9, 5, 128, 6),
            (c.Stacks, c.Levels, c.CnvDim, c.HeadDim, c.AttDim, c.PoolDim, c.Classes));
        Assert.Equal(199_594, model.ParameterCount());
        var expected = SafeTensorsFile.Read(Path.Combine(Fixtures.Saccade, "saccade_small.safetensors")).LoadAll();
        var ours = model.state_dict();
        Assert.Equal(588, expected.Count);
        Assert.Equal(expected.Count, ours.Count);
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.to_type(ours[name].dtype).Equals(ours[name]), $"{name} differs after import");
    }

    [Fact]
    public void OfficialConfigurationHasTheOfficialParameterCount()
    {
        using var scope = NewDisposeScope();
        using var model = new SaccadeModel(SaccadeConfig.Official);
        Assert.Equal(116_969_339, model.ParameterCount());
        Assert.Equal(828, model.state_dict().Count);
    }

    [Fact]
    public void ACheckpointOfAnotherShapeIsInferredAndLoadedByName()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-saccade").FullName;
        try
        {
            using var scope = NewDisposeScope();
            var config = new SaccadeConfig
            {
                Stem = [6, 8], Stacks = 3, Levels = 2, Dims = [8, 12, 20], Modules = [2, 1, 3],
                CnvDim = 7, HeadDim = 5, AttDim = 4, PoolDim = 9, Classes = 3,
            };
            manual_seed(4);
            using var original = new SaccadeModel(config);
            string path = Path.Combine(dir, "other.safetensors");
            SafeTensorsFile.Write(path, original.state_dict().ToDictionary(p => "module." + p.Key, p => p.Value));
            using var model = SaccadeCheckpoint.Import(path);
            var c = model.Config;
            Assert.Equal(config.Stem, c.Stem);
            Assert.Equal(config.Dims, c.Dims);
            Assert.Equal(config.Modules, c.Modules);
            Assert.Equal((3, 2, 7, 5, 4, 9, 3),
                (c.Stacks, c.Levels, c.CnvDim, c.HeadDim, c.AttDim, c.PoolDim, c.Classes));
            var expected = original.state_dict();
            foreach (var (name, tensor) in model.state_dict())
                Assert.True(tensor.Equals(expected[name]), $"{name} differs");
            using var _ = no_grad();
            using var outputs = model.forward(randn(1, 3, 63, 95));
            Assert.Equal([1, 3, 16, 24], outputs.LastHeads.TlHeats.shape);
            Assert.Equal([[1, 1, 8, 12], [1, 1, 16, 24]], outputs.LastAttentionLogits.Select(a => a.shape));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ANonSaccadeCheckpointIsRefusedWithItsName()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["hg.hgs.0.up1.0.conv1.weight"] = zeros(4, 4, 3, 3) };
        var error = Assert.Throws<WeightFileException>(() => SaccadeConfig.Infer(tensors, "lite.pkl"));
        Assert.Contains("lite.pkl", error.Message);
    }

    [FixtureTheory]
    [InlineData("")]
    [InlineData("_wide")]
    public void EvalHeadsAndAttentionMatchTheOfficialOnes(string suffix)
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmall();
        var io = SafeTensorsFile.Read(Io);
        using var _ = no_grad();
        using var outputs = model.forward(io.Load("image" + suffix));
        Assert.Single(outputs.Heads);
        foreach (var (name, actual) in outputs.LastHeads.Named())
        {
            string liteName = name.Replace("regrs", "offs");
            AssertClose(io.Load(liteName + suffix), actual, name.EndsWith("heats") ? 1e-3 : 1e-4, liteName + suffix);
        }
        Assert.Equal(3, outputs.LastAttentionLogits.Count);
        for (int i = 0; i < 3; i++)
        {
            var logits = outputs.LastAttentionLogits[i];
            AssertClose(io.Load($"att_logits_{i}{suffix}"), logits, 1e-3, $"att_logits_{i}{suffix}");
            AssertClose(io.Load($"atts_{i}{suffix}"), logits.sigmoid(), 1e-4, $"atts_{i}{suffix}");
        }
    }

    [FixtureFact]
    public void FoldedBatchNormKeepsTheOfficialEvalOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmall();
        model.FoldBatchNorm();
        Assert.Throws<InvalidOperationException>(() => model.train());
        var io = SafeTensorsFile.Read(Io);
        using var _ = no_grad();
        using var outputs = model.forward(io.Load("image_wide"));
        foreach (var (name, actual) in outputs.LastHeads.Named())
        {
            string liteName = name.Replace("regrs", "offs");
            double tolerance = name.EndsWith("heats") ? 1e-3 : 1e-4;
            AssertClose(io.Load(liteName + "_wide"), actual, tolerance, "folded " + liteName);
        }
        for (int i = 0; i < 3; i++)
            AssertClose(io.Load($"atts_{i}_wide"), outputs.LastAttentionLogits[i].sigmoid(), 1e-4, $"folded atts_{i}");
    }

    [FixtureTheory]
    [InlineData("", 12)]
    [InlineData("_wide", 10)]
    public void DecodeWithNoBorderMatchesTheOfficialOneToOne(string suffix, int validRows)
    {
        using var scope = NewDisposeScope();
        var io = SafeTensorsFile.Read(Io);
        var heads = new HeadOutputs(io.Load("tl_heats" + suffix), io.Load("br_heats" + suffix),
            io.Load("tl_tags" + suffix), io.Load("br_tags" + suffix), io.Load("tl_offs" + suffix),
            io.Load("br_offs" + suffix));
        foreach (var (corner, heat) in new[] { ("tl", heads.TlHeats), ("br", heads.BrHeats) })
        {
            var top = CornerDecoder.TopK(CornerDecoder.SuppressNonPeaks(heat.sigmoid(), 3), SaccadeDecode.K);
            string p = $"decode_{corner}_topk_";
            Assert.True(io.Load(p + "inds" + suffix).Equals(top.Indices), "indices");
            Assert.True(io.Load(p + "clses" + suffix).Equals(top.Classes), "classes");
            Assert.True(io.Load(p + "ys" + suffix).Equals(top.Ys), "ys");
            Assert.True(io.Load(p + "xs" + suffix).Equals(top.Xs), "xs");
            AssertClose(io.Load(p + "scores" + suffix), top.Scores, 1e-4, p + "scores" + suffix);
        }
        var detections = new CornerDecoder(SaccadeDecode).Decode(heads);
        var expected = io.Load("detections" + suffix);
        Assert.Equal(expected.shape, detections.shape);
        var exp = DetectionMatching.ValidRows(expected[0]);
        Assert.Equal(validRows, exp.Count);
        var (box, score) =
            DetectionMatching.AssertOneToOne(exp, DetectionMatching.ValidRows(detections[0]), 1e-3, 1e-4);
        output.WriteLine($"{suffix}: {exp.Count} valid rows, box deviation {box:E2}, score deviation {score:E2}");
    }

    [Theory]
    [InlineData(0, 1, 2, 2, true)]
    [InlineData(1, 0, 2, 2, true)]
    [InlineData(1, 1, 3, 2, true)]
    [InlineData(1, 1, 2, 3, true)]
    [InlineData(1, 1, 2, 2, false)]
    public void NoBorderRejectsPairsWithACornerOnTheMapBorder(int tlY, int tlX, int brY, int brX, bool rejected)
    {
        using var scope = NewDisposeScope();
        var tlHeat = full(1, 1, 4, 4, -5f);
        var brHeat = full(1, 1, 4, 4, -5f);
        tlHeat[0, 0, tlY, tlX] = tensor(3f);
        brHeat[0, 0, brY, brX] = tensor(3f);
        var heads = new HeadOutputs(tlHeat, brHeat, zeros(1, 1, 4, 4), zeros(1, 1, 4, 4), zeros(1, 2, 4, 4),
            zeros(1, 2, 4, 4));
        var options = new DecodeOptions(K: 1, NumDets: 1);
        float withBorder = new CornerDecoder(options).Decode(heads)[0, 0, 4].item<float>();
        float noBorder = new CornerDecoder(options with { NoBorder = true }).Decode(heads)[0, 0, 4].item<float>();
        Assert.True(withBorder > 0.9f, $"the pair should be valid without no_border (score {withBorder})");
        Assert.Equal(rejected ? -1f : withBorder, noBorder);
    }

    [FixtureTheory]
    [InlineData("")]
    [InlineData("_wide")]
    public void NetworkDecodeMatchesTheOfficialDetections(string suffix)
    {
        using var scope = NewDisposeScope();
        using var model = LoadSmall();
        var io = SafeTensorsFile.Read(Io);
        using var _ = no_grad();
        using var outputs = model.forward(io.Load("image" + suffix));
        var detections = new CornerDecoder(SaccadeDecode).Decode(outputs.LastHeads);
        var (box, score) = DetectionMatching.AssertOneToOne(
            DetectionMatching.ValidRows(io.Load("detections" + suffix)[0]),
            DetectionMatching.ValidRows(detections[0]), 1e-3, 1e-4);
        output.WriteLine($"{suffix}: box deviation {box:E2}, score deviation {score:E2}");
    }

    void AssertClose(Tensor expected, Tensor actual, double tolerance, string name)
    {
        Assert.Equal(expected.shape, actual.shape);
        double maxDiff = (actual - expected).abs().max().item<float>();
        output.WriteLine($"{name}: max |Δ| = {maxDiff:E2}");
        Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
    }
}
