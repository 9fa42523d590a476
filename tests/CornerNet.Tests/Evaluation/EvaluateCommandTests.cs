using System.Text.Json;
using CornerNet.Cli;

namespace CornerNet.Tests.Evaluation;

/// <summary><c>cornernet evaluate</c> end to end on small files: exit codes and the metrics JSON.</summary>
public sealed class EvaluateCommandTests : IDisposable
{
    const string GroundTruth = """
        {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [10, 10, 40, 40], "area": 1600, "iscrowd": 0}],
         "categories": [{"id": 3, "name": "car", "supercategory": "vehicle"}]}
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("evaluate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void WritesTheMetricsJsonAndExitsWithZero()
    {
        string gt = Write("gt.json", GroundTruth);
        string dets = Write("dets.json", """[{"image_id": 1, "category_id": 3, "bbox": [10, 10, 40, 40], "score": 0.9}]""");
        string json = Path.Combine(_dir, "metrics.json");

        Assert.Equal(0, Program.Main(["evaluate", "--gt", gt, "--dets", dets, "--json", json]));

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(0.9999999999999998, doc.RootElement.GetProperty("AP").GetDouble());
        Assert.Equal(1.0, doc.RootElement.GetProperty("AR100").GetDouble());
        Assert.Equal(-1.0, doc.RootElement.GetProperty("APs").GetDouble());
        Assert.Equal(0.9999999999999998, doc.RootElement.GetProperty("per_class").GetProperty("3").GetDouble());
    }

    [Fact]
    public void BadInputExitsWithTwoAndWritesNothing()
    {
        string gt = Write("gt.json", GroundTruth);
        string json = Path.Combine(_dir, "metrics.json");
        string unknownImage = Write("unknown.json", """[{"image_id": 5, "category_id": 3, "bbox": [10, 10, 40, 40], "score": 0.9}]""");
        string broken = Write("broken.json", """[{"image_id": 1, "category_id": 3, "bbox": [10, 10, 40, 40], "score": 0.9}""");

        Assert.Equal(2, Program.Main(["evaluate", "--gt", gt, "--dets", unknownImage, "--json", json]));
        Assert.Equal(2, Program.Main(["evaluate", "--gt", gt, "--dets", broken, "--json", json]));
        Assert.Equal(2, Program.Main(["evaluate", "--gt", Path.Combine(_dir, "missing.json"), "--dets", broken]));
        Assert.False(File.Exists(json));
    }
}
