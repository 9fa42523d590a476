using CornerNet.Inference;

namespace CornerNet.Tests.Inference;

public class SoftNmsTests
{
    // Box A (0,0)-(9,9) is 10×10 with the +1 convention; box B (0,0)-(9,4) is 10×5 inside it: IoU = 50/100 = 0.5.
    static float[] TwoBoxesLowerFirst() => [0, 0, 9, 4, 0.8f, 0.8f, 0.8f, 0, 0, 9, 9, 0.9f, 0.9f, 0.9f];

    [Fact]
    public void GaussianPicksTheBestFirstAndDecaysByExpMinusIouSquaredOverSigma()
    {
        var rows = TwoBoxesLowerFirst();
        int n = SoftNms.Apply(rows, new SoftNmsOptions());
        Assert.Equal(2, n);
        Assert.Equal(new float[] { 0, 0, 9, 9, 0.9f }, rows[..5]);
        Assert.Equal(new float[] { 0, 0, 9, 4 }, rows[7..11]);
        Assert.Equal((float)Math.Exp(-0.5) * 0.8f, rows[11]);
    }

    [Theory]
    [InlineData(0.3f, 0.4f)]
    [InlineData(0.6f, 0.8f)]
    public void LinearDecaysByOneMinusIouAboveTheThresholdOnly(float nt, float expected)
    {
        var rows = TwoBoxesLowerFirst();
        SoftNms.Apply(rows, new SoftNmsOptions { Method = NmsMethod.SoftLinear, OverlapThreshold = nt });
        Assert.Equal(expected, rows[11]);
    }

    [Fact]
    public void HardDiscardsOverlapsAboveTheThreshold()
    {
        var rows = TwoBoxesLowerFirst();
        Assert.Equal(1, SoftNms.Apply(rows, new SoftNmsOptions { Method = NmsMethod.Hard, OverlapThreshold = 0.3f }));
        Assert.Equal(0.9f, rows[4]);
        Assert.Equal(2, SoftNms.Apply(TwoBoxesLowerFirst(), new SoftNmsOptions { Method = NmsMethod.Hard, OverlapThreshold = 0.5f }));
    }

    [Fact]
    public void DisjointBoxesKeepTheirScoresAndAreOrderedByScore()
    {
        float[] rows = [0, 0, 4, 4, 0.2f, 0, 0, 10, 10, 14, 14, 0.7f, 0, 0, 20, 20, 24, 24, 0.5f, 0, 0];
        Assert.Equal(3, SoftNms.Apply(rows, new SoftNmsOptions()));
        Assert.Equal(new[] { 0.7f, 0.5f, 0.2f }, new[] { rows[4], rows[11], rows[18] });
        Assert.Equal(new float[] { 10, 10, 14, 14 }, rows[..4]);
    }

    [Fact]
    public void MergeAveragesDecayedBoxesWeightedByCornerScores()
    {
        // A (0,0)-(9,9) and B (2,2)-(11,11): intersection 8×8 = 64, union 136.
        float[] rows = [0, 0, 9, 9, 0.9f, 1f, 1f, 2, 2, 11, 11, 0.8f, 0.5f, 0.25f];
        SoftNms.Apply(rows, new SoftNmsOptions { MergeBoxes = true, WeightExp = 1f });
        double ov = 64.0 / 136.0, mw = 1 - Math.Exp(-ov * ov / 0.5);
        Assert.Equal((2 * 0.5 * mw) / (1 + 0.5 * mw), rows[0], 1e-5);
        Assert.Equal((2 * 0.5 * mw) / (1 + 0.5 * mw), rows[1], 1e-5);
        Assert.Equal((9 + 11 * 0.25 * mw) / (1 + 0.25 * mw), rows[2], 1e-5);
        Assert.Equal((9 + 11 * 0.25 * mw) / (1 + 0.25 * mw), rows[3], 1e-5);
        Assert.Equal(0.8 * (1 - mw), rows[11], 1e-6);
    }

    [Fact]
    public void OfficialModeLeavesCornerScoresInPlaceWhenRowsSwap()
    {
        var official = TwoBoxesLowerFirst();
        SoftNms.Apply(official, SoftNmsOptions.Official(mergeBoxes: false, weightExp: 8f));
        Assert.Equal((0.8f, 0.8f), (official[5], official[6]));
        var fixedRows = TwoBoxesLowerFirst();
        SoftNms.Apply(fixedRows, new SoftNmsOptions());
        Assert.Equal((0.9f, 0.9f), (fixedRows[5], fixedRows[6]));
    }

    [Fact]
    public void NoneLeavesRowsUntouched()
    {
        var rows = TwoBoxesLowerFirst();
        Assert.Equal(2, SoftNms.Apply(rows, new SoftNmsOptions { Method = NmsMethod.None }));
        Assert.Equal(TwoBoxesLowerFirst(), rows);
    }
}
