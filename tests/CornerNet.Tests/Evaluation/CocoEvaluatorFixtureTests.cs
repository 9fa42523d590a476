using System.Text.Json;
using CornerNet.Data;
using CornerNet.Evaluation;

namespace CornerNet.Tests.Evaluation;

/// <summary>Parity with pycocotools on every case of ../shared/fixtures/cocoeval (tolerance 1e-9, per its README).</summary>
public class CocoEvaluatorFixtureTests
{
    static readonly string[] StatKeys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    [FixtureTheory]
    [InlineData("perfect")]
    [InlineData("jittered")]
    [InlineData("duplicates")]
    [InlineData("empty")]
    [InlineData("big")]
    public void MatchesPycocotools(string name)
    {
        string dir = Path.Combine(Fixtures.CocoEval, name);
        string gtPath = Path.Combine(dir, "gt.json"), detsPath = Path.Combine(dir, "dets.json");
        if (!File.Exists(gtPath))
        {
            gtPath += ".gz";
            detsPath += ".gz";
        }
        var metrics = CocoEvaluator.Evaluate(CocoAnnotationFile.Read(gtPath), CocoDetectionsFile.Read(detsPath));
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "expected.json")));
        var root = expected.RootElement;

        for (int n = 0; n < StatKeys.Length; n++)
            Assert.True(Math.Abs(root.GetProperty(StatKeys[n]).GetDouble() - metrics.Stats[n]) <= 1e-9,
                $"{name} {StatKeys[n]}: expected {root.GetProperty(StatKeys[n]).GetDouble():R}, got {metrics.Stats[n]:R}");

        var perClass = root.GetProperty("per_class");
        Assert.Equal(perClass.EnumerateObject().Count(), metrics.PerClassAP.Count);
        foreach (var entry in perClass.EnumerateObject())
        {
            double actual = metrics.PerClassAP[long.Parse(entry.Name)];
            Assert.True(Math.Abs(entry.Value.GetDouble() - actual) <= 1e-9,
                $"{name} per_class {entry.Name}: expected {entry.Value.GetDouble():R}, got {actual:R}");
        }

        Assert.Equal(root.GetProperty("pycocotools_summary").EnumerateArray().Select(e => e.GetString()), metrics.SummaryLines());
        Assert.Empty(metrics.Warnings);
    }

    [FixtureFact]
    public void EmptyDetectionsGiveZerosForClassesWithGroundTruth()
    {
        var gt = CocoAnnotationFile.Read(Path.Combine(Fixtures.CocoEval, "perfect", "gt.json"));
        var metrics = CocoEvaluator.Evaluate(gt, Array.Empty<CocoDetection>());
        Assert.All(metrics.Stats, s => Assert.Equal(0.0, s));
        var withGt = gt.Annotations.Select(a => a.CategoryId).ToHashSet();
        foreach (var (categoryId, ap) in metrics.PerClassAP)
            Assert.Equal(withGt.Contains(categoryId) ? 0.0 : -1.0, ap);
    }
}
