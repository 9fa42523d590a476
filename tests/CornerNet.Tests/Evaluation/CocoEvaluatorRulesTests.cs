using CornerNet.Data;
using CornerNet.Evaluation;

namespace CornerNet.Tests.Evaluation;

/// <summary>The ⚠ rules of the cocoeval README on hand-made cases whose right answer is known.</summary>
public class CocoEvaluatorRulesTests
{
    // 1/(1+eps): the precision of a first true positive in pycocotools.
    const double One = 0.9999999999999998;

    internal static CocoAnnotationFile Gt(params CocoAnnotation[] annotations) => new("gt.json",
        [new CocoImage(1, "1.jpg", 640, 480), new CocoImage(2, "2.jpg", 640, 480), new CocoImage(3, "3.jpg", 640, 480)],
        annotations,
        [new CocoCategory(1, "cat", "animal"), new CocoCategory(2, "dog", "animal"), new CocoCategory(3, "car", null)]);

    internal static CocoAnnotation Box(long id, long image, long category, double x, double y, double w, double h,
        bool crowd = false, double? area = null) =>
        new(id, image, category, new CocoBox(x, y, w, h), area ?? w * h, crowd);

    internal static CocoDetection Det(long image, long category, double x, double y, double w, double h, double score) =>
        new(image, category, new CocoBox(x, y, w, h), score);

    [Fact]
    public void CrowdBoxAbsorbsEveryDetectionInside()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50), Box(2, 1, 1, 100, 100, 200, 200, crowd: true));
        // Two higher-scored detections inside the crowd region: both must be ignored, not false positives.
        var metrics = CocoEvaluator.Evaluate(gt, [
            Det(1, 1, 110, 110, 60, 60, 0.95), Det(1, 1, 200, 200, 60, 60, 0.9), Det(1, 1, 0, 0, 50, 50, 0.5)]);
        Assert.Equal(One, metrics.AP, 15);
        Assert.Equal(1.0, metrics.AR100, 15);

        // The same boxes without the crowd flag: a regular GT takes one detection and the other is a false positive.
        var regular = Gt(Box(1, 1, 1, 0, 0, 50, 50), Box(2, 1, 1, 100, 100, 200, 200));
        Assert.True(CocoEvaluator.Evaluate(regular, [
            Det(1, 1, 110, 110, 60, 60, 0.95), Det(1, 1, 200, 200, 60, 60, 0.9), Det(1, 1, 0, 0, 50, 50, 0.5)]).AP < 0.5);
    }

    [Fact]
    public void AreaBoundsAreInclusiveOnBothSides()
    {
        // Area exactly 32² is small and medium; exactly 96² is medium and large.
        var small = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 32, 32)), [Det(1, 1, 0, 0, 32, 32, 0.9)]);
        Assert.Equal(One, small.APs, 15);
        Assert.Equal(One, small.APm, 15);
        Assert.Equal(-1.0, small.APl);
        Assert.Equal(1.0, small.ARs);
        Assert.Equal(1.0, small.ARm);

        var large = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 96, 96)), [Det(1, 1, 0, 0, 96, 96, 0.9)]);
        Assert.Equal(-1.0, large.APs);
        Assert.Equal(One, large.APm, 15);
        Assert.Equal(One, large.APl, 15);
    }

    [Fact]
    public void GroundTruthAreaFieldDecidesTheRangeNotTheBox()
    {
        // A 100x100 box whose area field says 500 (a small mask): small, not large.
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 100, 100, area: 500)), [Det(1, 1, 0, 0, 100, 100, 0.9)]);
        Assert.Equal(One, metrics.APs, 15);
        Assert.Equal(-1.0, metrics.APl);
    }

    [Fact]
    public void EqualScoresKeepFileOrderWithinAnImage()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50));
        var hit = Det(1, 1, 0, 0, 50, 50, 0.5);
        var miss = Det(1, 1, 300, 300, 50, 50, 0.5);
        Assert.Equal(One, CocoEvaluator.Evaluate(gt, [hit, miss]).AP, 15);
        Assert.Equal(0.5, CocoEvaluator.Evaluate(gt, [miss, hit]).AP, 15);
    }

    [Fact]
    public void EqualScoresAcrossImagesPutTheLowerImageIdFirst()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50));
        // The miss (image 2) comes first in the file, but image 1's hit is ranked first.
        var metrics = CocoEvaluator.Evaluate(gt, [Det(2, 1, 300, 300, 50, 50, 0.5), Det(1, 1, 0, 0, 50, 50, 0.5)]);
        Assert.Equal(One, metrics.AP, 15);
    }

    [Fact]
    public void LaterGroundTruthWinsOnEqualIoU()
    {
        // The first detection has IoU 0.6 with both GTs; it takes the later one (id 2), which leaves GT 1 for the
        // second detection (IoU 1 with GT 1, 1/3 with GT 2). Were the earlier GT to win, the second would be a miss.
        var gt = Gt(Box(1, 1, 1, 0, 0, 10, 10), Box(2, 1, 1, 5, 0, 10, 10));
        var metrics = CocoEvaluator.Evaluate(gt, [Det(1, 1, 2.5, 0, 10, 10, 0.9), Det(1, 1, 0, 0, 10, 10, 0.8)]);
        Assert.Equal(One, metrics.AP50, 15);
    }

    [Fact]
    public void RegularMatchBeatsAnIgnoredOne()
    {
        // The detection overlaps a crowd GT perfectly and a regular GT at IoU 0.6: the regular GT takes it.
        var gt = Gt(Box(1, 1, 1, 0, 0, 10, 10), Box(2, 1, 1, 2.5, 0, 10, 10, crowd: true));
        var metrics = CocoEvaluator.Evaluate(gt, [Det(1, 1, 2.5, 0, 10, 10, 0.9)]);
        Assert.Equal(One, metrics.AP50, 15);
    }

    [Fact]
    public void HundredDetectionsAreKeptPerImageAndClass()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50));
        var detections = new List<CocoDetection>();
        // 150 better-scored false positives of another class on the same image do not push the hit out.
        for (int n = 0; n < 150; n++) detections.Add(Det(1, 2, 300, 300, 20, 20, 0.9));
        detections.Add(Det(1, 1, 0, 0, 50, 50, 0.1));
        Assert.Equal(One, CocoEvaluator.Evaluate(gt, detections).PerClassAP[1], 15);

        // 100 better-scored false positives of the same class do.
        detections.Clear();
        for (int n = 0; n < 100; n++) detections.Add(Det(1, 1, 300, 300, 20, 20, 0.9));
        detections.Add(Det(1, 1, 0, 0, 50, 50, 0.1));
        var metrics = CocoEvaluator.Evaluate(gt, detections);
        Assert.Equal(0.0, metrics.AR100);
        Assert.Equal(0.0, metrics.PerClassAP[1]);
    }

    [Fact]
    public void ThresholdsAreNumpyLinspace()
    {
        Assert.Equal([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95], CocoEvaluator.IouThresholds);
        var recall = CocoEvaluator.RecallThresholds;
        Assert.Equal(101, recall.Count);
        Assert.Equal(0.0, recall[0]);
        Assert.Equal(1.0, recall[100]);
        Assert.Equal(0.35000000000000003, recall[35]);
        Assert.Equal(0.5700000000000001, recall[57]);
        Assert.Equal(0.9500000000000001, recall[95]);
        Assert.Equal(0.5, recall[50]);
    }

    [Fact]
    public void IouOfExactlyTheNinthThresholdMatchesIt()
    {
        // The ninth threshold is 0.8999999999999999, one step below 0.9. A detection [0, 0, t8 * 128, 128] on the GT
        // [0, 0, 128, 128] has exactly that IoU (powers of two keep the arithmetic exact).
        double t8 = CocoEvaluator.IouThresholds[8];
        double w = t8 * 128;
        Assert.Equal(t8, w * 128 / (w * 128 + 128.0 * 128 - w * 128));

        // It matches at 9 of the 10 thresholds (with a threshold of exactly 0.9 it would be 8).
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 128, 128)), [Det(1, 1, 0, 0, w, 128, 0.9)]);
        Assert.Equal(0.9, metrics.AR100, 15);
    }
}
