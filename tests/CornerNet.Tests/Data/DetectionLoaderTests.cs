using CornerNet.Data;
using static TorchSharp.torch;

namespace CornerNet.Tests.Data;

public class DetectionLoaderTests
{
    static readonly TrainingSampleBuilder Builder = new(new AugmentationOptions { InputWidth = 63, InputHeight = 63 });

    static SyntheticShapesSource Source(int count) => new(new SyntheticShapes(64, 4), count, seed: 5);

    static List<(float[] Images, Box[][] Boxes, int[] Indices)> Run(DetectionLoader loader, int epoch)
    {
        var result = new List<(float[], Box[][], int[])>();
        foreach (var batch in loader.Epoch(epoch))
        {
            using (batch)
                result.Add((batch.Images.data<float>().ToArray(), batch.Boxes.ToArray(), batch.Indices.ToArray()));
        }
        return result;
    }

    [Fact]
    public void BatchesAreIdenticalForAnyNumberOfWorkers()
    {
        var one = Run(new DetectionLoader(Source(11), Builder, new() { BatchSize = 3, Workers = 1, Seed = 9 }), epoch: 2);
        var three = Run(new DetectionLoader(Source(11), Builder, new() { BatchSize = 3, Workers = 3, Seed = 9, PrefetchBatches = 1 }), epoch: 2);
        Assert.Equal(4, one.Count);
        Assert.Equal(one.Count, three.Count);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Indices, three[b].Indices);
            Assert.Equal(one[b].Images, three[b].Images);
            Assert.Equal(one[b].Boxes, three[b].Boxes);
        }
    }

    [Fact]
    public void BatchesHaveTheInputShapeAndCoverEveryImageOnce()
    {
        var loader = new DetectionLoader(Source(7), Builder, new() { BatchSize = 3, Workers = 2, Seed = 1 });
        Assert.Equal(3, loader.BatchesPerEpoch);
        var seen = new List<int>();
        var sizes = new List<int>();
        foreach (var batch in loader.Epoch(0))
        {
            using (batch)
            {
                Assert.Equal(new long[] { batch.Count, 3, 63, 63 }, batch.Images.shape);
                Assert.Equal(ScalarType.Float32, batch.Images.dtype);
                Assert.Equal(batch.Count, batch.Boxes.Count);
                Assert.Equal(batch.Count, batch.Classes.Count);
                for (int i = 0; i < batch.Count; i++) Assert.Equal(batch.Boxes[i].Length, batch.Classes[i].Length);
                seen.AddRange(batch.Indices);
                sizes.Add(batch.Count);
            }
        }
        Assert.Equal(new[] { 3, 3, 1 }, sizes);
        Assert.Equal(Enumerable.Range(0, 7), seen.Order());
    }

    [Fact]
    public void EpochsShuffleDifferentlyAndSeedsRepeat()
    {
        var a = new DetectionLoader(Source(20), Builder, new() { Seed = 3 });
        var b = new DetectionLoader(Source(20), Builder, new() { Seed = 3 });
        Assert.Equal(a.Order(0), b.Order(0));
        Assert.NotEqual(a.Order(0), a.Order(1));
        var unshuffled = new DetectionLoader(Source(20), Builder, new() { Shuffle = false });
        Assert.Equal(Enumerable.Range(0, 20), unshuffled.Order(4));
    }

    sealed class BrokenSource(int count, int broken) : IDetectionSource
    {
        readonly SyntheticShapesSource _inner = Source(count);
        public int Count => count;
        public LabeledImage Load(int index) =>
            index == broken ? throw new InvalidInputException($"img{index}.jpg", "corrupt image data") : _inner.Load(index);
    }

    [Fact]
    public void ABadImageFailsWithItsMessage()
    {
        var loader = new DetectionLoader(new BrokenSource(6, broken: 4), Builder, new() { BatchSize = 2, Workers = 2 });
        var e = Assert.Throws<InvalidInputException>(() => Run(loader, 0));
        Assert.Equal("img4.jpg: corrupt image data", e.Message);
    }

    [Fact]
    public void BadImagesCanBeSkippedAndCounted()
    {
        var loader = new DetectionLoader(new BrokenSource(6, broken: 4), Builder,
            new() { BatchSize = 2, Workers = 2, SkipBadImages = true, Shuffle = false });
        var batches = Run(loader, 0);
        Assert.Equal(new[] { 0, 1, 2, 3, 5 }, batches.SelectMany(b => b.Indices));
        Assert.Equal(1, loader.SkippedImages);
    }

    [Fact]
    public void AbandoningAnEpochStopsTheWorkers()
    {
        var loader = new DetectionLoader(Source(40), Builder, new() { BatchSize = 2, Workers = 2 });
        using (var first = loader.Epoch(0).First()) Assert.Equal(2, first.Count);
        // A second enumeration works normally after the first was abandoned.
        Assert.Equal(20, Run(loader, 1).Count);
    }
}
