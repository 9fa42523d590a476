using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

public class FeatureGatherTests
{
    [Fact]
    public void PicksTheChannelVectorAtEachFlatIndex()
    {
        using var scope = NewDisposeScope();
        var features = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);
        var indices = tensor(new long[] { 0, 7, 19, 13, 13, 1 }, [2, 3]);
        var result = FeatureGather.At(features, indices);
        Assert.Equal(new long[] { 2, 3, 3 }, result.shape);
        var f = features.data<float>().ToArray();
        var r = result.data<float>().ToArray();
        var ind = new long[] { 0, 7, 19, 13, 13, 1 };
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
                for (int c = 0; c < 3; c++)
                {
                    long index = ind[n * 3 + k];
                    Assert.Equal(f[((n * 3 + c) * 4 + index / 5) * 5 + index % 5], r[(n * 3 + k) * 3 + c]);
                }
    }

    [Fact]
    public void EqualsTheOfficialPermuteAndGather()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var features = randn([2, 2, 6, 7], generator: generator);
        var indices = randint(0, 42, [2, 5], generator: generator);
        var official = features.permute(0, 2, 3, 1).contiguous().view(2, 42, 2).gather(1, indices.unsqueeze(2).expand(2, 5, 2));
        Assert.True(FeatureGather.At(features, indices).Equals(official));
    }

    [Fact]
    public void RejectsIndicesOfAnotherBatch()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => FeatureGather.At(zeros(2, 1, 4, 4), zeros([3, 2], int64)));
    }
}
