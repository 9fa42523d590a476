using System.Text.Json;
using CornerNet.Model;

namespace CornerNet.Tests.Cli;

public class QuickstartCommandTests
{
    [Fact]
    public void QuickstartWritesTheModelDrawingsPlotsMetricsAndReport()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("cornernet-quickstart").FullName, "out");
        try
        {
            var (code, stdout, error) = CliRunner.Run("quickstart", "--minutes", "0.5", "--train-images", "32", "--val-images", "3", "--out", output);

            Assert.True(code == 0, error);
            Assert.Matches(@"validation AP \d\.\d{3} \(AP50 \d\.\d{3}\) after \d+ iterations", stdout);
            var (model, classes) = ModelFile.Load(Path.Combine(output, "model.safetensors"));
            using (model) Assert.Equal(["circle", "triangle", "ring", "cross", "star", "diamond"], classes.Select(c => c.Name));
            Assert.Equal(3, Directory.GetFiles(Path.Combine(output, "detections"), "*.png").Length);
            foreach (var file in new[] { "loss_curve.png", "precision_recall.png", "detections.json", "validation/annotations.json" })
                Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing or empty");
            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
            Assert.Equal(6, metrics.RootElement.GetProperty("per_class").EnumerateObject().Count());
            Assert.InRange(metrics.RootElement.GetProperty("AP").GetDouble(), 0, 1);
            string report = File.ReadAllText(Path.Combine(output, "report.md"));
            Assert.Contains("## COCO metrics on the validation split", report);
            Assert.Contains("3 held-out validation images", report);
        }
        finally { Directory.Delete(Path.GetDirectoryName(output)!, true); }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void QuickstartRejectsANonPositiveBudget(string minutes)
    {
        var (code, _, error) = CliRunner.Run("quickstart", "--minutes", minutes, "--out", Path.Combine(Path.GetTempPath(), "cornernet-never"));
        Assert.Equal(2, code);
        Assert.Contains("--minutes must be above 0", error);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "cornernet-never")));
    }
}
