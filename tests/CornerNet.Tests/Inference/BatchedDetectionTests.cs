using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using Xunit.Abstractions;

namespace CornerNet.Tests.Inference;

/// <summary>Batched detection (images of mixed sizes, grouped by network canvas) against one image at a time, with the shipped tiny model.</summary>
public class BatchedDetectionTests(ITestOutputHelper output)
{
    static readonly string ModelPath = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    static string SamplePath(int n) => Path.Combine(Fixtures.RepoRoot, "samples", "images", $"{n:D6}.png");

    /// <summary>Samples at their size (127×127) and resized to 160×100 and 200×200: three canvases, shuffled.</summary>
    static List<BgrImage> MixedSizes()
    {
        var samples = Enumerable.Range(1, 6).Select(n => ImageDecoder.Decode(SamplePath(n))).ToList();
        return
        [
            samples[0],
            OpenCvResize.Resize(samples[1], 160, 100),
            samples[2],
            OpenCvResize.Resize(samples[3], 200, 200),
            OpenCvResize.Resize(samples[4], 160, 100),
            samples[5],
            OpenCvResize.Resize(samples[0], 200, 200),
        ];
    }

    static void AssertSame(IReadOnlyList<Detection> expected, IReadOnlyList<Detection> actual, ref double maxBox, ref double maxScore)
    {
        var (box, score) = DetectionMatching.AssertOneToOne(
            expected.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList(),
            actual.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList(), 1e-3, 1e-5);
        maxBox = Math.Max(maxBox, box);
        maxScore = Math.Max(maxScore, score);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(true, 150)]
    public void BatchedResultsEqualOneAtATimeForMixedSizes(bool flip, int? maxSize)
    {
        var (model, _) = ModelFile.Load(ModelPath);
        using var _model = model;
        var batchSizes = new List<long>();
        var pipeline = DetectionPipeline.ForNetwork(batch =>
        {
            batchSizes.Add(batch.shape[0]);
            var last = model.forward(batch)[^1];
            return last;
        }, model.Config, new DetectionOptions { Flip = flip, MaxSize = maxSize });
        var images = MixedSizes();

        var single = images.Select(pipeline.Detect).ToList();
        batchSizes.Clear();
        var batched = pipeline.Detect(images, 3);

        // Canvases 127×127 (3 images), 127×255 (2) and 255×255 (2): batches of 3, 2 and 2 images (×2 with flip).
        // With --max-size 150 the 200×200 images shrink to 150×150 and still share a canvas of their own.
        int perImage = flip ? 2 : 1;
        Assert.Equal(new long[] { 3 * perImage, 2 * perImage, 2 * perImage }, batchSizes.Order().Reverse().ToArray());
        Assert.Equal(images.Count, batched.Count);
        double maxBox = 0, maxScore = 0;
        for (int i = 0; i < images.Count; i++)
        {
            Assert.NotEmpty(single[i]);
            AssertSame(single[i], batched[i], ref maxBox, ref maxScore);
        }
        output.WriteLine($"flip {flip}, max size {maxSize}: max box deviation {maxBox:E2}, score {maxScore:E2}");
    }

    [Fact]
    public void DetectorBatchOverloadsEqualOneAtATime()
    {
        using var detector = Detector.Load(ModelPath, new DetectionOptions { Flip = true });
        var paths = Enumerable.Range(1, 5).Select(SamplePath).ToList();
        var single = paths.Select(detector.Detect).ToList();
        var fromPaths = detector.Detect(paths, batchSize: 4);
        var streams = paths.Select(p => (Stream)File.OpenRead(p)).ToList();
        var fromStreams = detector.Detect(streams, batchSize: 2);
        streams.ForEach(s => s.Dispose());
        var bitmaps = paths.Select(p => ImageEncoder.ToBitmap(ImageDecoder.Decode(p))).ToList();
        var fromBitmaps = detector.Detect(bitmaps, batchSize: 8);
        bitmaps.ForEach(b => b.Dispose());

        foreach (var batched in new[] { fromPaths, fromStreams, fromBitmaps })
        {
            Assert.Equal(paths.Count, batched.Count);
            for (int i = 0; i < paths.Count; i++)
            {
                Assert.Equal(single[i].Count, batched[i].Count);
                for (int k = 0; k < single[i].Count; k++)
                {
                    Assert.Equal(single[i][k].ClassName, batched[i][k].ClassName);
                    Assert.Equal(single[i][k].Score, batched[i][k].Score, 1e-5);
                    Assert.Equal(single[i][k].X1, batched[i][k].X1, 1e-3);
                    Assert.Equal(single[i][k].Y2, batched[i][k].Y2, 1e-3);
                }
            }
        }
    }

    [Fact]
    public void BatchSizeBelowOneIsRejected()
    {
        using var detector = Detector.Load(ModelPath);
        Assert.Throws<ArgumentOutOfRangeException>(() => detector.Detect(new List<BgrImage> { ImageDecoder.Decode(SamplePath(1)) }, 0));
    }
}
