using CornerNet.Model;
using CornerNet.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class CornerDecoderTests(ITestOutputHelper output)
{
    static SafeTensorsFile Io => SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));

    static HeadOutputs LoadHeads(SafeTensorsFile file, string suffix) => new(
        file.Load("tl_heats" + suffix), file.Load("br_heats" + suffix), file.Load("tl_tags" + suffix),
        file.Load("br_tags" + suffix), file.Load("tl_regrs" + suffix), file.Load("br_regrs" + suffix));

    [FixtureTheory]
    [InlineData("")]
    [InlineData("_wide")]
    public void TopKMatchesOfficialTopkAfterNms(string suffix)
    {
        using var scope = NewDisposeScope();
        var file = Io;
        var heads = LoadHeads(file, suffix);
        foreach (var (corner, heat) in new[] { ("tl", heads.TlHeats), ("br", heads.BrHeats) })
        {
            var top = CornerDecoder.TopK(CornerDecoder.SuppressNonPeaks(heat.sigmoid(), 3), 100);
            string p = $"decode_{corner}_topk_";
            Assert.True(file.Load(p + "inds" + suffix).Equals(top.Indices), "indices");
            Assert.True(file.Load(p + "clses" + suffix).Equals(top.Classes), "classes");
            Assert.True(file.Load(p + "ys" + suffix).Equals(top.Ys), "ys");
            Assert.True(file.Load(p + "xs" + suffix).Equals(top.Xs), "xs");
            double dev = (file.Load(p + "scores" + suffix) - top.Scores).abs().max().item<float>();
            output.WriteLine($"{corner}{suffix}: max score deviation {dev:E2}");
            Assert.True(dev <= 1e-5, $"{corner} scores deviate by {dev}");
        }
    }

    [FixtureTheory]
    [InlineData("", new[] { 394, 441 })]
    [InlineData("_wide", new[] { 378 })]
    public void DecodeMatchesOfficialDetectionsOneToOne(string suffix, int[] validRows)
    {
        using var scope = NewDisposeScope();
        var file = Io;
        var detections = new CornerDecoder().Decode(LoadHeads(file, suffix));
        var expected = file.Load("detections" + suffix);
        Assert.Equal(expected.shape, detections.shape);
        for (int i = 0; i < validRows.Length; i++)
        {
            var exp = DetectionMatching.ValidRows(expected[i]);
            var act = DetectionMatching.ValidRows(detections[i]);
            Assert.Equal(validRows[i], exp.Count);
            var (box, score) = DetectionMatching.AssertOneToOne(exp, act, 1e-3, 1e-5);
            output.WriteLine($"image {i}{suffix}: {act.Count} valid rows, max box deviation {box:E2}, max score deviation {score:E2}");
        }
    }

    [Fact]
    public void RejectsPairsByClassTagAndGeometry()
    {
        using var scope = NewDisposeScope();
        // One image, 2 classes, 4×4 maps: class 0 has a top-left peak at (x 1, y 1) and bottom-right peaks at (3, 2)
        // (tag distance 0.5: kept) and (0, 3) (left of the top-left: rejected); class 1 has a bottom-right peak at (2, 2).
        var tlHeat = full(1, 2, 4, 4, -10f);
        var brHeat = full(1, 2, 4, 4, -10f);
        tlHeat[0, 0, 1, 1] = tensor(2f);
        brHeat[0, 0, 2, 3] = tensor(1f);
        brHeat[0, 0, 3, 0] = tensor(3f);
        brHeat[0, 1, 2, 2] = tensor(4f);
        var tlTag = zeros(1, 1, 4, 4);
        var brTag = zeros(1, 1, 4, 4);
        brTag[0, 0, 2, 3] = tensor(0.5f);
        var heads = new HeadOutputs(tlHeat, brHeat, tlTag, brTag, zeros(1, 2, 4, 4), zeros(1, 2, 4, 4));
        var dets = new CornerDecoder(new DecodeOptions(K: 4, NumDets: 16)).Decode(heads);
        var scores = dets[0, .., 4].data<float>().ToArray();
        // Flat background locations survive the max-pool too (they equal their neighbourhood), so only the pairs of
        // two peaks (scores above 0.5) are of interest: of the three, only the first is accepted.
        Assert.Equal(1, scores.Count(s => s > 0.5f));
        var best = dets[0, 0].data<float>().ToArray();
        float expectedScore = (1f / (1f + MathF.Exp(-2f)) + 1f / (1f + MathF.Exp(-1f))) / 2f;
        Assert.Equal(new[] { 1f, 1f, 3f, 2f }, best[..4]);
        Assert.Equal(expectedScore, best[4], 6);
        Assert.Equal(0f, best[7]);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void PeakSuppressionEqualsMaxPoolKeepWhereEqual(int kernel)
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(3);
        // Rounded values make ties (plateaus) common, and the maps' borders are covered too.
        var heat = (rand(2, 3, 9, 11, generator: generator) * 4).round() / 4;
        var pooled = nn.functional.max_pool2d(heat, kernel, stride: 1, padding: (kernel - 1) / 2);
        var expected = heat * pooled.eq(heat).to_type(ScalarType.Float32);
        Assert.True(expected.Equals(CornerDecoder.SuppressNonPeaks(heat, kernel)));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void TopKEqualsFullTopkWithTiesAndNaN(bool ties, bool nan)
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(5);
        var scores = rand(2, 7, 24, 40, generator: generator);
        // Rounding makes ties among the best values; a NaN counts as the largest value in topk.
        if (ties) scores = (scores * 64).round() / 64;
        if (nan) scores[1, 3, 10, 7] = tensor(float.NaN);
        var (values, flat) = scores.reshape(2, -1).topk(50, dim: 1);
        var top = CornerDecoder.TopK(scores, 50);
        Assert.True(top.Indices.Equals(flat.remainder(24 * 40)));
        Assert.True(top.Classes.Equals(flat.div(24 * 40, RoundingMode.floor)));
        Assert.True(top.Scores.nan_to_num().Equals(values.nan_to_num()));
    }
}
