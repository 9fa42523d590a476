using System.Text.Json;
using CornerNet.Data;
using CornerNet.Training;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>
/// The CornerNet-Saccade sampler and its targets against ../shared/fixtures/saccade/saccade_small_train.*, replaying
/// the official random draws (which also checks that every draw is made with the official range, in order).
/// </summary>
public class SaccadeSamplerParityTests(ITestOutputHelper output)
{
    /// <summary>Replays the json's draws; each call must be the recorded kind with the recorded range.</summary>
    sealed class RecordedDraws(JsonElement draws) : ISaccadeSamplerRandom
    {
        int next;

        public int Count => next;

        (JsonElement Args, JsonElement Value) Take(string kind)
        {
            var draw = draws[next++];
            Assert.Equal(kind, draw[0].GetString());
            return (draw[1], draw[2]);
        }

        public int Integer(int low, int high)
        {
            var (args, value) = Take("np.random.randint");
            (int, int) expected = args.TryGetProperty("low", out var l)
                ? (l.GetInt32(), args.GetProperty("high").GetInt32())
                : args.TryGetProperty("arg1", out var h) ? (args.GetProperty("arg0").GetInt32(), h.GetInt32())
                : (0, args.GetProperty("arg0").GetInt32());
            Assert.Equal(expected, (low, high));
            return value.GetInt32();
        }

        public double Uniform() => Take("np.random.uniform").Value.GetDouble();

        public ColorJitter.Adjustment[] JitterOrder() => Take("random.shuffle").Value.EnumerateArray()
            .Select(n => n.GetString() switch
            {
                "brightness_" => ColorJitter.Adjustment.Brightness,
                "contrast_" => ColorJitter.Adjustment.Contrast,
                _ => ColorJitter.Adjustment.Saturation,
            }).ToArray();

        public double JitterStrength() => Take("data_rng.uniform").Value.GetDouble();

        public double[] LightingAlpha() =>
            Take("data_rng.normal").Value.EnumerateArray().Select(v => v.GetDouble()).ToArray();
    }

    [FixtureFact]
    public void SamplerAndTargetsMatchTheOfficialOnes()
    {
        using var scope = NewDisposeScope();
        var f = SafeTensorsFile.Read(Path.Combine(Fixtures.Saccade, "saccade_small_train.safetensors"));
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Saccade, "saccade_small_train.json")))
            .RootElement;
        var draws = new RecordedDraws(json.GetProperty("draws"));
        var options = new TargetOptions(6, 127, 127, 32, 32)
        {
            Radius = RadiusSetting.Official(SaccadeTargets.GaussianIou),
        };
        var images = new List<float>();
        var targets = new List<SaccadeTargets>();
        var sources = json.GetProperty("source_images");
        for (int i = 0; i < 2; i++)
        {
            var pixels = f.Load($"source_image{i}");
            var photo = new BgrImage((int)pixels.shape[1], (int)pixels.shape[0],
                pixels.contiguous().data<byte>().ToArray());
            var rows = sources[i].GetProperty("boxes_x1y1x2y2_category1based").EnumerateArray()
                .Select(r => r.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).ToArray();
            var sample = SaccadeSampler.Build(photo, rows.Select(r => new Box(r[0], r[1], r[2], r[3])).ToArray(),
                rows.Select(r => (int)r[4] - 1).ToArray(), 127, 127, ImageNormalization.Coco, draws);
            Assert.Equal(json.GetProperty("flipped")[i].GetBoolean(), sample.Flipped);
            images.AddRange(sample.Image);
            targets.Add(SaccadeTargets.Build(sample, options, [16, 8, 4], SaccadeTargets.OfficialAttentionRanges));
        }
        Assert.Equal(json.GetProperty("draws").GetArrayLength(), draws.Count);
        Assert.Equal([5, 1], targets.Select(t => t.Corners.ObjectCount));

        double imageDiff = SaccadeFixture.MaxAbsDiff(SaccadeFixture.Floats(f.Load("image")), images.ToArray());
        output.WriteLine($"image: max |Δ| = {imageDiff:E2}");
        Assert.True(imageDiff <= 1e-5, $"image: max |Δ| = {imageDiff}");

        var batch = SaccadeTargets.Stack(targets);
        Close("tl_heatmaps", batch.Corners.TopLeftHeatmaps, 1e-7);
        Close("br_heatmaps", batch.Corners.BottomRightHeatmaps, 1e-7);
        Close("tl_valids", batch.TopLeftValid, 0);
        Close("br_valids", batch.BottomRightValid, 0);
        Close("tl_regrs", batch.Corners.TopLeftOffsets, 1e-6);
        Close("br_regrs", batch.Corners.BottomRightOffsets, 1e-6);
        Assert.True(f.Load("tl_tags").Equals(batch.Corners.TopLeftIndices), "tl_tags differ");
        Assert.True(f.Load("br_tags").Equals(batch.Corners.BottomRightIndices), "br_tags differ");
        Assert.True(f.Load("tag_masks").to_type(ScalarType.Bool).Equals(batch.Corners.Mask), "tag_masks differ");
        for (int level = 0; level < 3; level++) Close($"attention_targets_{level}", batch.Attention[level], 0);

        void Close(string name, Tensor actual, double tolerance)
        {
            var expected = f.Load(name);
            Assert.Equal(expected.shape, actual.shape);
            double diff = (expected - actual).abs().max().item<float>();
            output.WriteLine($"{name}: max |Δ| = {diff:E2}");
            Assert.True(diff <= tolerance, $"{name}: max |Δ| = {diff}");
        }
    }
}
