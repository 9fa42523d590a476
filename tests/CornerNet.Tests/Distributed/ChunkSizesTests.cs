using CornerNet.Data;
using CornerNet.Training;

namespace CornerNet.Tests.Distributed;

public class ChunkSizesTests
{
    [Fact]
    public void BatchesSplitAsEvenlyAsPossibleWithTheFirstRanksTakingTheRemainder()
    {
        Assert.Equal([4, 4], ChunkSizes.Split(8, 2));
        Assert.Equal([5, 5, 4], ChunkSizes.Split(14, 3));
        Assert.Equal([5, 5, 5, 5, 5, 5, 5, 5, 5, 4], ChunkSizes.Split(49, 10));
    }

    [Fact]
    public void ExplicitChunkSizesMustMatchTheRanksAndTheBatch()
    {
        Assert.Equal([4, 5, 5], ChunkSizes.Split(14, 3, [4, 5, 5]));
        Assert.Throws<InvalidInputException>(() => ChunkSizes.Split(14, 2, [4, 5, 5]));
        Assert.Throws<InvalidInputException>(() => ChunkSizes.Split(15, 3, [4, 5, 5]));
        Assert.Throws<InvalidInputException>(() => ChunkSizes.Split(4, 2, [0, 4]));
        Assert.Throws<InvalidInputException>(() => ChunkSizes.Split(1, 2));
    }

    [Fact]
    public void TheRanksChunksTogetherAreTheSingleProcessBatchesIncludingAShortLastOne()
    {
        var source = new SyntheticShapesSource(new SyntheticShapes(size: 48, maxObjects: 2), 11, seed: 5);
        var builder = new TrainingSampleBuilder(new AugmentationOptions { InputHeight = 31, InputWidth = 31 });
        var whole = new DetectionLoader(source, builder, new DetectionLoaderOptions { BatchSize = 5, Workers = 2, Seed = 7 });
        var sizes = ChunkSizes.Split(5, 3, [1, 2, 2]);
        var chunks = Enumerable.Range(0, 3).Select(r => new DetectionLoader(source, builder,
            new DetectionLoaderOptions { BatchSize = 5, Workers = 1, Seed = 7, Chunk = ChunkSizes.ChunkOf(sizes, r) })).ToArray();

        using var scope = TorchSharp.torch.NewDisposeScope();
        var expected = whole.Epoch(1, firstBatch: 0).ToList();
        var perRank = chunks.Select(c => c.Epoch(1).ToList()).ToArray();
        Assert.Equal(3, expected.Count);
        Assert.All(perRank, r => Assert.Equal(expected.Count, r.Count));
        for (int b = 0; b < expected.Count; b++)
        {
            var union = perRank.SelectMany(r => r[b].Indices).ToList();
            Assert.Equal(expected[b].Indices, union);
            var images = TorchSharp.torch.cat(perRank.Select(r => r[b].Images).Where(t => t.shape[0] > 0).ToArray(), 0);
            Assert.True(images.equal(expected[b].Images).all().item<bool>());
        }
        // The last batch holds 1 image: rank 0's; ranks 1 and 2 get an empty chunk (still yielded, to keep step).
        Assert.Equal([1, 0, 0], perRank.Select(r => r[^1].Count));
    }
}
