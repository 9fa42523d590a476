using System.Text.Json.Nodes;

namespace CornerNet.Tests.Distributed;

public class ShardedTestCommandTests
{
    /// <summary>
    /// The first 16 images of coco128 val2017 (the whole 128 take ≈ 50 s per run on 2 busy cores): the shipped model's
    /// detections and metrics from 2 ranks equal those of one process byte for byte.
    /// </summary>
    [MpiCoco128Fact]
    public void TwoRanksWriteTheDetectionsAndMetricsOfOneProcess()
    {
        string annotations = Path.Combine(Fixtures.Coco128, "annotations", "instances_val2017.json");
        string root = Directory.CreateTempSubdirectory("cornernet-sharded-test").FullName;
        try
        {
            var coco = JsonNode.Parse(File.ReadAllText(annotations))!.AsObject();
            var images = coco["images"]!.AsArray().Take(16).Select(i => i!.DeepClone()).ToList();
            var ids = images.Select(i => i!["id"]!.GetValue<long>()).ToHashSet();
            coco["images"] = new JsonArray(images.ToArray());
            coco["annotations"] = new JsonArray(coco["annotations"]!.AsArray().Where(a => ids.Contains(a!["image_id"]!.GetValue<long>())).Select(a => a!.DeepClone()).ToArray());
            string subset = Path.Combine(root, "val16.json");
            File.WriteAllText(subset, coco.ToJsonString());
            string model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

            string[] Args(string name) => ["test", model, "--gt", subset, "--images", Path.Combine(Fixtures.Coco128, "images", "val2017"), "--threads", "1",
                "--json", Path.Combine(root, name, "detections.json"), "--metrics", Path.Combine(root, name, "metrics.json"), "--plot", Path.Combine(root, name, "pr.png")];
            var alone = MpiProcess.Alone(Args("one"));
            Assert.True(alone.ExitCode == 0, alone.ToString());
            var job = MpiProcess.Job(2, Args("two"));
            Assert.True(job.ExitCode == 0, job.ToString());

            Assert.NotEqual("[]", File.ReadAllText(Path.Combine(root, "one", "detections.json")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "one", "detections.json")), File.ReadAllBytes(Path.Combine(root, "two", "detections.json")));
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "one", "metrics.json")), File.ReadAllBytes(Path.Combine(root, "two", "metrics.json")));
            Assert.True(File.Exists(Path.Combine(root, "two", "pr.png")));
        }
        finally { Directory.Delete(root, true); }
    }
}
