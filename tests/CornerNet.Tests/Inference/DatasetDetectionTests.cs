using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class DatasetDetectionTests
{
    [Fact]
    public void EveryImageIsDetectedInIndexOrderAndUnreadableOnesAreSkippedWithTheirReason()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-datasetdetection").FullName;
        try
        {
            SyntheticShapesDataset.Write(root, images: 5, seed: 4, new SyntheticShapes(size: 64, maxObjects: 2));
            string corrupt = Path.Combine(root, "images", "000002.png");
            File.WriteAllBytes(corrupt, File.ReadAllBytes(corrupt)[..40]);
            var dataset = CocoDataset.Open(Path.Combine(root, "annotations.json"), Path.Combine(root, "images"));
            manual_seed(12);
            using var detector = new Detector(new CornerNetModel(ModelPresets.Tiny with { Classes = dataset.Classes.Count }), dataset.Classes,
                new DetectionOptions { Flip = false });
            int[] indices = [4, 1, 0, 3];
            var progress = new List<(int, int)>();
            var drawn = new List<int>();

            var results = DatasetDetection.Run(detector, dataset, indices, batchSize: 3, skipUnreadable: true,
                onImage: (found, _) => drawn.Add(found.Index), progress: (done, total) => progress.Add((done, total)));

            Assert.Equal(indices, results.Select(r => r.Index));
            Assert.Equal(indices.Select(i => dataset.Annotations.Images[i].Id), results.Select(r => r.ImageId));
            var skipped = Assert.Single(results, r => r.Objects is null);
            Assert.Equal(1, skipped.Index);
            Assert.Contains("000002.png", skipped.SkipReason);
            Assert.Equal(new[] { 4, 0, 3 }, drawn);
            Assert.Equal(new[] { (3, 4), (4, 4) }, progress);
            // Batched results equal one-at-a-time results within the batching tolerance (README, Batched inference).
            foreach (var r in results.Where(r => r.Objects is not null))
            {
                var single = detector.Detect(dataset.ImagePath(r.Index));
                Assert.Equal(single.Count, r.Objects!.Count);
                foreach (var (a, b) in single.Zip(r.Objects!))
                {
                    Assert.Equal(a.ClassIndex, b.ClassIndex);
                    Assert.Equal(a.Score, b.Score, 1e-5f);
                    Assert.Equal(a.X1, b.X1, 1e-3f);
                    Assert.Equal(a.Y2, b.Y2, 1e-3f);
                }
            }
            var coco = DatasetDetection.ToCoco(results);
            Assert.Equal(results.Sum(r => r.Objects?.Count ?? 0), coco.Count);
            Assert.All(coco, d => Assert.NotEqual(dataset.Annotations.Images[1].Id, d.ImageId));

            Assert.Throws<InvalidInputException>(() => DatasetDetection.Run(detector, dataset, indices));
        }
        finally { Directory.Delete(root, true); }
    }
}
