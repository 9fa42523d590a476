using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Tests.Inference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>
/// The whole CornerNet-Saccade test procedure with the small official model on the fixture photo against every
/// intermediate of ../shared/fixtures/saccade/saccade_small_test.*, in both recorded configurations.
/// </summary>
public class SaccadeTestProcedureParityTests(ITestOutputHelper output)
{
    const int Input = 127;

    [FixtureTheory]
    [InlineData("official")]
    [InlineData("two_rounds")]
    public void TheProcedureReproducesEveryOfficialIntermediate(string run)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var settings = run == "official" ? SaccadeFixture.Official : SaccadeFixture.TwoRounds;
        using var model = SaccadeModelParityTests.LoadSmall();
        var result = new SaccadeTestProcedure(model, settings, ImageNormalization.Coco).Run(SaccadeFixture.Photo(test));

        var prefixes = run == "official" ? new[] { "init_", "round1_" } : ["init_", "round1_", "two_rounds_round2_"];
        Assert.Equal(prefixes.Length, result.Rounds.Count);
        for (int r = 0; r < prefixes.Length; r++)
        {
            string p = prefixes[r];
            var round = result.Rounds[r];
            SaccadeFixture.AssertLocations(SaccadeFixture.Locations(test.Load(p + "locations")), round.Locations, Input,
                p + "locations");
            Assert.Equal(SaccadeFixture.Floats(test.Load(p + "offsets")), round.Offsets);
            double input = SaccadeFixture.MaxAbsDiff(SaccadeFixture.Floats(test.Load(p + "input")), round.Input);
            Assert.True(input <= 1e-6, $"{p}input: max |Δ| = {input}");
            var dets = test.Load(p + "dets");
            for (int i = 0; i < round.Locations.Count; i++)
                AssertOneToOne(SaccadeFixture.Rows(dets[i]), Slice(round.Detections, i, 12), p + $"dets[{i}]");
            AssertOneToOne(SaccadeFixture.Rows(test.Load(p + "kept")), round.Kept, p + "kept");
            string attentionPrefix = r == 0 ? "init_" : run == "two_rounds" && r == 1 ? "two_rounds_round1_" : null!;
            if (attentionPrefix is not null)
            {
                for (int i = 0; i < 3; i++)
                {
                    double att = SaccadeFixture.MaxAbsDiff(
                        SaccadeFixture.Floats(test.Load($"{attentionPrefix}atts_{i}")),
                        round.Attentions[i].Values);
                    Assert.True(att <= 1e-4, $"{attentionPrefix}atts_{i}: max |Δ| = {att}");
                }
                SaccadeFixture.AssertLocations(SaccadeFixture.Locations(test.Load(attentionPrefix + "next_from_atts")),
                    round.FromAttention, Input, attentionPrefix + "next_from_atts");
                SaccadeFixture.AssertLocations(SaccadeFixture.Locations(test.Load(attentionPrefix + "ref_locations")),
                    round.References, Input, attentionPrefix + "ref_locations");
                SaccadeFixture.AssertLocations(SaccadeFixture.Locations(test.Load(attentionPrefix + "next_locations")),
                    round.Next, Input, attentionPrefix + "next_locations");
            }
            else Assert.Empty(round.Attentions);
            output.WriteLine($"{p}: {round.Locations.Count} crops, {round.Kept.Count} rows, input max |Δ| {input:E2}");
        }
        AssertOneToOne(SaccadeFixture.Rows(test.Load(run + "_merged")), result.Merged, run + "_merged");
        var expected = SaccadeFixture.Matchable(SaccadeFixture.Rows(test.Load(run + "_final")), 5);
        var (box, score) =
            DetectionMatching.AssertOneToOne(expected, SaccadeFixture.Matchable(result.Final, 5), 1e-3, 1e-4);
        output.WriteLine($"{run}: {result.Final.Count} final rows, box deviation {box:E2}, score deviation {score:E2}");
    }

    [FixtureFact]
    public void SettingsThatDoNotFitTheNetworkAreRefusedWithTheirName()
    {
        using var scope = NewDisposeScope();
        using var model = SaccadeModelParityTests.LoadSmall();
        var twoRatios = SaccadeFixture.Official with { AttentionRatios = [16, 8] };
        var error = Assert.Throws<ArgumentException>(() => new SaccadeTestProcedure(model, twoRatios,
            ImageNormalization.Coco));
        Assert.Contains("attention ratios", error.Message);
        var roundsWithoutScales = SaccadeFixture.Official with { AttentionThresholds = [0.3, 0.3] };
        Assert.Throws<ArgumentException>(() => new SaccadeTestProcedure(model, roundsWithoutScales,
            ImageNormalization.Coco));
    }

    static List<float[]> Slice(float[] detections, int image, int rows) =>
        Enumerable.Range(0, rows).Select(r => detections.AsSpan((image * rows + r) * 8, 8).ToArray()).ToList();

    void AssertOneToOne(List<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        var e = SaccadeFixture.Matchable(expected.Where(r => r[4] != -1f), 7);
        var a = SaccadeFixture.Matchable(actual.Where(r => r[4] != -1f), 7);
        Assert.True(e.Count == a.Count, $"{what}: {a.Count} valid rows, expected {e.Count}");
        DetectionMatching.AssertOneToOne(e, a, 1e-3, 1e-4);
    }
}
