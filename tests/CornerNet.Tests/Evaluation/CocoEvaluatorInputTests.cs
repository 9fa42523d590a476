using System.Text.Json;
using CornerNet.Data;
using CornerNet.Evaluation;
using static CornerNet.Tests.Evaluation.CocoEvaluatorRulesTests;

namespace CornerNet.Tests.Evaluation;

/// <summary>What the evaluator does with questionable detections, and the formats it writes.</summary>
public class CocoEvaluatorInputTests
{
    [Fact]
    public void DetectionOfAnUnknownImageIsAnErrorNamingFileAndRecord()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50));
        var e = Assert.Throws<InvalidInputException>(() => CocoEvaluator.Evaluate(gt,
            [Det(1, 1, 0, 0, 50, 50, 0.9), Det(99, 1, 0, 0, 50, 50, 0.9)], "dets.json"));
        Assert.Equal("dets.json: [1]: image_id 99 is not an image of gt.json", e.Message);
        Assert.Equal("dets.json", e.FilePath);
    }

    [Fact]
    public void DetectionsOfUnknownCategoriesAreDroppedWithACountedWarning()
    {
        var gt = Gt(Box(1, 1, 1, 0, 0, 50, 50));
        var hit = Det(1, 1, 0, 0, 50, 50, 0.5);
        var metrics = CocoEvaluator.Evaluate(gt,
            [Det(1, 7, 300, 300, 50, 50, 0.9), hit, Det(2, 7, 0, 0, 5, 5, 0.9), Det(1, 8, 0, 0, 5, 5, 0.9)], "dets.json");
        var warning = Assert.Single(metrics.Warnings);
        Assert.StartsWith("dets.json: dropped 3 detection(s)", warning);
        Assert.Contains("category_id 7, 8", warning);
        Assert.Contains("first at [0]", warning);
        // Dropped means they never count: same numbers as without them.
        Assert.Equal(CocoEvaluator.Evaluate(gt, [hit]).Stats, metrics.Stats);
    }

    [Fact]
    public void EmptyDetectionsGiveZerosNotACrash()
    {
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 20, 20), Box(2, 2, 2, 0, 0, 200, 200)), []);
        // No medium GT at all: APm and ARm stay undefined; the rest is 0.
        Assert.Equal([0, 0, 0, 0, -1, 0, 0, 0, 0, 0, -1, 0], metrics.Stats);
        Assert.Equal(0.0, metrics.PerClassAP[1]);
        Assert.Equal(0.0, metrics.PerClassAP[2]);
        Assert.Equal(-1.0, metrics.PerClassAP[3]);
        Assert.Empty(metrics.Warnings);
    }

    [Fact]
    public void ClassWithOnlyCrowdGroundTruthIsUndefined()
    {
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 50, 50), Box(2, 1, 2, 0, 0, 50, 50, crowd: true)),
            [Det(1, 1, 0, 0, 50, 50, 0.9), Det(1, 2, 0, 0, 50, 50, 0.9)]);
        Assert.Equal(-1.0, metrics.PerClassAP[2]);
        Assert.True(metrics.PerClassAP[1] > 0.99);
    }

    [Fact]
    public void MetricsJsonHasTheContractKeysAndRoundTripsNumbers()
    {
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 50, 50), Box(2, 2, 1, 0, 0, 50, 50)),
            [Det(1, 1, 0, 0, 50, 50, 0.9), Det(2, 1, 10, 10, 50, 50, 0.8), Det(2, 1, 0, 0, 50, 49, 0.7)]);
        string path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.json");
        try
        {
            metrics.WriteJson(path);
            Assert.False(File.Exists(path + ".tmp-" + Environment.ProcessId));
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl", "per_class"], keys);
            for (int n = 0; n < 12; n++) Assert.Equal(metrics.Stats[n], doc.RootElement.GetProperty(keys[n]).GetDouble());
            var perClass = doc.RootElement.GetProperty("per_class");
            Assert.Equal(["1", "2", "3"], perClass.EnumerateObject().Select(p => p.Name));
            Assert.Equal(metrics.PerClassAP[1], perClass.GetProperty("1").GetDouble());
            Assert.Equal(-1.0, perClass.GetProperty("2").GetDouble());
            Assert.Equal(File.ReadAllText(path), metrics.ToJson());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SummaryLinesFollowPycocotoolsFormat()
    {
        var lines = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 50, 50)), [Det(1, 1, 0, 0, 50, 50, 0.9)]).SummaryLines();
        Assert.Equal(12, lines.Count);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000", lines[0]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 1.000", lines[2]);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000", lines[3]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000", lines[6]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 1.000", lines[10]);
        // Python's {:0.3f} rounds exact ties to even.
        Assert.Equal("0.062", CocoMetrics.FormatNumber(0.0625));
        Assert.Equal("0.188", CocoMetrics.FormatNumber(0.1875));
    }

    [Fact]
    public void PrecisionCurveIsThePrecisionArrayAtAreaAllMaxDets100()
    {
        // One hit and one miss ranked first: precision 0.5 up to recall 1 at every IoU threshold.
        var metrics = CocoEvaluator.Evaluate(Gt(Box(1, 1, 1, 0, 0, 50, 50)),
            [Det(1, 1, 300, 300, 50, 50, 0.9), Det(1, 1, 0, 0, 50, 50, 0.5)]);
        Assert.Equal([1L, 2L, 3L], metrics.CategoryIds);
        var curve = metrics.PrecisionCurve(0, 1);
        Assert.Equal(101, curve.Length);
        Assert.All(curve, p => Assert.Equal(0.5, p));
        Assert.Equal(0.5, metrics.Precision(9, 100, 0));
        Assert.Equal(-1.0, metrics.Precision(0, 0, 1));
        Assert.Equal(curve, metrics.PrecisionCurve(0));
    }
}
