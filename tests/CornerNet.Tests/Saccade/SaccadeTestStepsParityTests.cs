using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Tests.Inference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>
/// Each step of the official CornerNet-Saccade test procedure against the intermediates of
/// ../shared/fixtures/saccade/saccade_small_test.*: every step is fed the official input of that step, so that a
/// difference shows where it starts.
/// </summary>
public class SaccadeTestStepsParityTests(ITestOutputHelper output)
{
    const int Height = 125, Width = 93, Input = 127;
    static readonly int[] Ratios = [16, 8, 4];
    static readonly double[] AttentionScales = [1, 2, 4];

    [FixtureFact]
    public void FirstPassLocationsKeepTheOfficialFloat32Scales()
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var locations = SaccadeCrops.FirstPassLocations(Height, Width, [96, 127]);
        var expected = SaccadeFixture.Floats(test.Load("init_locations"));
        Assert.Equal(expected, locations.SelectMany(l => new[] { (float)l.Y, (float)l.X, (float)l.Scale }));
        // 127/125 in float32: the crop side int(127 / scale) truncates to 124, not 125.
        Assert.Equal(124, (int)(Input / locations[1].Scale));
    }

    [FixtureTheory]
    [InlineData("init_locations", "init_offsets", "init_input")]
    [InlineData("round1_locations", "round1_offsets", "round1_input")]
    [InlineData("two_rounds_round2_locations", "two_rounds_round2_offsets", "two_rounds_round2_input")]
    public void CropsMatchTheOfficialNetworkInputs(string locationsName, string offsetsName, string inputName)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        using var photo = SaccadeCrops.PhotoTensor(SaccadeFixture.Photo(test));
        var locations = SaccadeFixture.Locations(test.Load(locationsName));
        var (images, offsets) = SaccadeCrops.Prepare(photo, locations, Input, Input);
        SaccadeCrops.Normalize(images, ImageNormalization.Coco);
        Assert.Equal(SaccadeFixture.Floats(test.Load(offsetsName)), offsets);
        double diff = SaccadeFixture.MaxAbsDiff(
            SaccadeFixture.Floats(test.Load(inputName)), SaccadeFixture.Floats(images));
        output.WriteLine($"{inputName}: {locations.Count} crops, max |Δ| = {diff:E2}");
        Assert.True(diff <= 1e-6, $"{inputName}: max |Δ| = {diff}");
    }

    [FixtureTheory]
    [InlineData("init_atts_", "init_atts_nms_")]
    [InlineData("two_rounds_round1_atts_", "two_rounds_round1_atts_nms_")]
    public void AttentionPeaksMatchTheOfficialAttNms(string mapsName, string peaksName)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var maps = Enumerable.Range(0, 3).Select(i => test.Load(mapsName + i)).ToArray();
        var peaks = SaccadeAttention.Peaks(maps, [3, 3, 3]);
        for (int i = 0; i < 3; i++)
            Assert.True(test.Load(peaksName + i).Equals(peaks[i]), $"{peaksName}{i} differs");
    }

    [FixtureFact]
    public void FirstPassAttentionLocationsMatchTheOfficialDecodeAtts()
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var peaks = Enumerable.Range(0, 3)
            .Select(i => SaccadeAttentionMaps.From(test.Load("init_atts_nms_" + i))).ToArray();
        var scales = SaccadeFixture.Locations(test.Load("init_locations")).Select(l => l.Scale).ToArray();
        var offsets = SaccadeFixture.Floats(test.Load("init_offsets"));
        var locations = SaccadeAttention.Locations(peaks, AttentionScales, Ratios, scales, offsets, Height, Width, 0.3,
            ignoreSame: false);
        var expected = SaccadeFixture.Locations(test.Load("init_next_from_atts"));
        SaccadeFixture.AssertLocations(expected, locations, Input, "init_next_from_atts");
        // The float32 scale decides a truncation: x = 88.999998913457, so int(x) = 88.
        Assert.Contains(locations, l => (int)l.X == 88 && l.X > 88.99);
        double diff = expected
            .Zip(locations, (e, a) => new[] { e.Y - a.Y, e.X - a.X, e.Scale - a.Scale }.Max(Math.Abs)).Max();
        output.WriteLine($"{locations.Count} locations, max |Δ| = {diff:E2}");
    }

    [FixtureFact]
    public void CropRoundAttentionLocationsIgnoreLevelsThatDoNotZoomIn()
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var peaks = Enumerable.Range(0, 3)
            .Select(i => SaccadeAttentionMaps.From(test.Load("two_rounds_round1_atts_nms_" + i))).ToArray();
        var scales = SaccadeFixture.Locations(test.Load("round1_locations")).Select(l => l.Scale).ToArray();
        var offsets = SaccadeFixture.Floats(test.Load("round1_offsets"));
        var locations = SaccadeAttention.Locations(peaks, AttentionScales, Ratios, scales, offsets, Height, Width, 0.3,
            ignoreSame: true);
        SaccadeFixture.AssertLocations(SaccadeFixture.Locations(test.Load("two_rounds_round1_next_from_atts")),
            locations, Input, "two_rounds_round1_next_from_atts");
    }

    [FixtureTheory]
    [InlineData("init_locations", "init_offsets", "init_dets", "init_dets_remapped", "init_kept", true)]
    [InlineData("round1_locations", "round1_offsets", "round1_dets", "round1_dets_remapped", "round1_kept", false)]
    [InlineData("two_rounds_round2_locations", "two_rounds_round2_offsets", "two_rounds_round2_dets",
        "two_rounds_round2_dets_remapped", "two_rounds_round2_kept", false)]
    public void DetectionsAreMappedToThePhotoAsOfficially(string locationsName, string offsetsName, string detsName,
        string remappedName, string keptName, bool firstPass)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var scales = SaccadeFixture.Locations(test.Load(locationsName)).Select(l => l.Scale).ToArray();
        var detections = SaccadeFixture.Floats(test.Load(detsName));
        SaccadeDetections.ToPhoto(detections, 12, scales, SaccadeFixture.Floats(test.Load(offsetsName)), [Input, Input],
            [32, 32], firstPass);
        var expected = SaccadeFixture.Floats(test.Load(remappedName));
        double diff = SaccadeFixture.MaxAbsDiff(expected, detections);
        output.WriteLine($"{remappedName}: max |Δ| = {diff:E2}");
        Assert.True(diff == 0, $"{remappedName}: max |Δ| = {diff}");
        var kept = SaccadeDetections.Kept(expected, firstPass ? 0.3f : -1f);
        Assert.Equal(SaccadeFixture.Floats(test.Load(keptName)), kept.SelectMany(r => r));
    }

    [FixtureTheory]
    [InlineData("init_kept", "init_ref_locations")]
    [InlineData("round1_kept", "two_rounds_round1_ref_locations")]
    public void ReferenceLocationsMatchTheOfficialGetRefLocs(string keptName, string referencesName)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var references = SaccadeLocations.FromDetections(SaccadeFixture.Rows(test.Load(keptName)));
        var expected = SaccadeFixture.Locations(test.Load(referencesName));
        Assert.Equal(expected, references);
    }

    [FixtureTheory]
    [InlineData("init_location_nms_input", "init_next_locations")]
    [InlineData("two_rounds_round1_location_nms_input", "two_rounds_round1_next_locations")]
    public void LocationNmsMatchesTheOfficialOne(string inputName, string outputName)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var kept = SaccadeLocations.Suppress(SaccadeFixture.Locations(test.Load(inputName)), 16);
        Assert.Equal(SaccadeFixture.Locations(test.Load(outputName)), kept);
    }

    [Theory]
    [InlineData(-400, 50)]
    [InlineData(50, -400)]
    [InlineData(1000, 50)]
    public void ACropCentredFarOutsideThePhotoLeavesAZeroCanvas(int centreY, int centreX)
    {
        // The official crop_image_gpu slices with a negative end here (a distorted crop) or fails in interpolate.
        using var scope = NewDisposeScope();
        var photo = ones(3, 100, 80, ScalarType.Float64);
        var canvas = zeros(3, Input, Input);
        var (top, left) = SaccadeCrops.Crop(photo, centreY, centreX, 200, 200, canvas);
        Assert.Equal((centreY - 100, centreX - 100), (top, left));
        Assert.Equal(0, canvas.abs().sum().item<float>());
    }

    [Fact]
    public void LocationNmsComparesTheSmallerAxisDistanceAndVisitsTiesInReverse()
    {
        // Same row band, far apart in x: still suppressed (min(|Δy|, |Δx|) = 0). Ties: the later one is visited
        // first.
        var locations = new List<SaccadeLocation> { new(10, 10, 1, 1), new(10, 200, 1, 1), new(100, 100, 4, 0.5) };
        var kept = SaccadeLocations.Suppress(locations, 16);
        Assert.Equal([locations[1], locations[2]], kept);
    }

    [Fact]
    public void NumpyArgsortOrdersLikeAnInsertionSortUpTo17AndSortsLongerArrays()
    {
        Assert.Equal([1, 3, 0, 2], NumpyArgsort.Ascending([2.0, 1.0, 2.0, 1.0]));
        var random = new Random(5);
        var values = Enumerable.Range(0, 200).Select(_ => (double)random.Next(20)).ToArray();
        var order = NumpyArgsort.Ascending(values);
        Assert.Equal(Enumerable.Range(0, 200), order.Order());
        for (int i = 1; i < order.Length; i++) Assert.True(values[order[i - 1]] <= values[order[i]]);
    }

    // Values and orders printed by numpy 1.24.2 (Debian 12, the fixtures' numpy):
    // v = RandomState(5).randint(0, 6, size=n).astype(np.float64); np.argsort(v), for n = 18, 40, 100.
    [Theory]
    [InlineData("3, 5, 0, 1, 0, 4, 3, 0, 0, 4, 1, 5, 0, 3, 4, 5, 3, 1",
        "8, 12, 2, 4, 7, 10, 17, 3, 16, 13, 6, 0, 5, 9, 14, 11, 1, 15")]
    [InlineData("4, 5, 2, 1, 1, 2, 1, 1, 1, 2, 0, 5, 2, 0, 0, 4, 4, 1, 3, 3, 2, 4, 1, 3, 3, 2, 1, 5, 4, 4, 5, 3, 3, 3, "
        + "4, 1, 3, 3, 3, 5",
        "14, 13, 10, 3, 4, 22, 6, 7, 8, 17, 35, 26, 25, 2, 9, 5, 12, 20, 24, 33, 23, 19, 18, 32, 36, 37, 38, 31, 34, "
        + "0, 28, 21, 16, 15, 29, 30, 27, 11, 1, 39")]
    [InlineData("1, 1, 5, 0, 2, 1, 0, 5, 2, 5, 3, 0, 5, 3, 0, 0, 4, 4, 5, 2, 0, 3, 0, 0, 0, 2, 4, 5, 3, 5, 1, 4, 5, 2, "
        + "4, 3, 5, 0, 0, 1, 4, 3, 4, 1, 0, 0, 2, 5, 4, 3, 2, 4, 1, 2, 3, 4, 3, 4, 3, 1, 4, 2, 3, 4, 1, 4, 0, 2, 4, 1, "
        + "2, 2, 1, 3, 0, 0, 0, 3, 1, 4, 4, 3, 0, 2, 4, 0, 0, 5, 3, 3, 3, 4, 0, 2, 2, 1, 3, 1, 5, 1",
        "15, 44, 45, 24, 23, 22, 20, 66, 38, 14, 74, 75, 37, 76, 3, 92, 11, 6, 86, 82, 85, 64, 69, 59, 72, 78, 52, "
        + "95, 97, 43, 39, 0, 99, 1, 30, 5, 33, 19, 67, 70, 71, 53, 25, 50, 8, 46, 4, 93, 94, 83, 61, 62, 81, 77, 10, "
        + "88, 13, 89, 90, 73, 96, 49, 21, 58, 35, 41, 56, 28, 54, 34, 31, 91, 40, 42, 84, 26, 60, 79, 80, 48, 63, "
        + "65, 57, 68, 55, 16, 17, 51, 87, 9, 27, 12, 29, 32, 36, 2, 47, 98, 7, 18")]
    public void NumpyArgsortGivesNumpysOrderOfTies(string values, string order)
    {
        var v = values.Split(", ").Select(double.Parse).ToArray();
        Assert.Equal(order.Split(", ").Select(int.Parse), NumpyArgsort.Ascending(v));
    }

    [FixtureTheory]
    [InlineData("official", 100, 87)]
    [InlineData("two_rounds", 50, 50)]
    public void MergeMatchesTheOfficialSoftNmsAndMaxPerImage(string run, int maxPerImage, int finalRows)
    {
        using var scope = NewDisposeScope();
        var test = SaccadeFixture.Test();
        var merged = SaccadeFixture.Rows(test.Load(run + "_merged"));
        var (final, arrays) = SaccadeDetections.Merge(merged, 6, SaccadeFixture.Official.SoftNms, maxPerImage);
        var classes = test.Load(run + "_nms_class").data<long>().ToArray();
        Assert.Equal(classes, arrays.SelectMany(a => Enumerable.Repeat((long)a.Class, a.Rows.Length / 7)));
        Assert.Equal(SaccadeFixture.Floats(test.Load(run + "_nms_input")),
            merged.OrderBy(r => r[7]).SelectMany(r => r.Take(7)));
        double nmsDiff = SaccadeFixture.MaxAbsDiff(SaccadeFixture.Floats(test.Load(run + "_nms_output")),
            arrays.SelectMany(a => a.Rows).ToArray());
        Assert.True(nmsDiff == 0, $"soft-NMS arrays differ by {nmsDiff}");
        var expected = SaccadeFixture.Matchable(SaccadeFixture.Rows(test.Load(run + "_final")), 5);
        Assert.Equal(finalRows, expected.Count);
        Assert.Equal(SaccadeFixture.Floats(test.Load(run + "_final")), final.SelectMany(r => r));
    }
}
