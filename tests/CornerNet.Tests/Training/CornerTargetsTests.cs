using CornerNet.Data;
using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

public class CornerTargetsTests
{
    [FixtureFact]
    public void TargetsMatchTheOfficialSampler()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        var images = TrainFixture.BuildTargets(TrainFixture.Options);
        Assert.All(images, t => Assert.Equal(3, t.ObjectCount));
        Assert.All(images, t => Assert.Equal(0, t.ObjectsBeyondCap));
        using var batch = CornerTargetBatch.Stack(images);

        Assert.True(MaxAbs(batch.TopLeftHeatmaps, file.Load("tl_heatmaps")) <= 1e-7);
        Assert.True(MaxAbs(batch.BottomRightHeatmaps, file.Load("br_heatmaps")) <= 1e-7);
        Assert.True(MaxAbs(batch.TopLeftOffsets, file.Load("tl_regrs")) <= 1e-6);
        Assert.True(MaxAbs(batch.BottomRightOffsets, file.Load("br_regrs")) <= 1e-6);
        Assert.True(batch.TopLeftIndices.Equals(file.Load("tl_tags")));
        Assert.True(batch.BottomRightIndices.Equals(file.Load("br_tags")));
        Assert.True(batch.Mask.Equals(file.Load("tag_masks").to_type(ScalarType.Bool)));
    }

    static double MaxAbs(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        return (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    [Fact]
    public void OffsetsIndicesAndRadiusFollowTheOfficialRule()
    {
        // Input 16×16 → output 4×4: ratio 1/4. Box (1, 2)–(13, 9): corners (0.25, 0.5) and (3.25, 2.25).
        var t = CornerTargets.Build([new Box(1, 2, 13, 9)], [1], new TargetOptions(2, 16, 16, 4, 4));
        Assert.Equal(new[] { 0.25f, 0.5f }, t.TopLeftOffsets[..2]);
        Assert.Equal(new[] { 0.25f, 0.25f }, t.BottomRightOffsets[..2]);
        Assert.Equal(0, t.TopLeftIndices[0]);
        Assert.Equal(2 * 4 + 3, t.BottomRightIndices[0]);
        Assert.True(t.Mask[0]);
        Assert.False(t.Mask[1]);
        // Size (ceil(7/4), ceil(12/4)) = (2, 3): radius 0.53 → 0, so only the peaks are set, in class 1.
        Assert.Equal(1f, t.TopLeftHeatmap[16 + 0]);
        Assert.Equal(1f, t.BottomRightHeatmap[16 + 11]);
        Assert.Equal(1f, t.TopLeftHeatmap.Sum());
    }

    [Fact]
    public void ObjectsPastTheCapAreCountedAndStillDrawn()
    {
        var boxes = Enumerable.Range(0, 5).Select(i => new Box(i * 8, 0, i * 8 + 4, 4)).ToList();
        var t = CornerTargets.Build(boxes, new int[5], new TargetOptions(1, 40, 40, 40, 40) { MaxObjects = 3, PenaltyReduction = false });
        Assert.Equal(3, t.ObjectCount);
        Assert.Equal(2, t.ObjectsBeyondCap);
        Assert.Equal(new[] { true, true, true }, t.Mask);
        Assert.Equal(new long[] { 0, 8, 16 }, t.TopLeftIndices);
        Assert.Equal(5f, t.TopLeftHeatmap.Sum());
    }

    [Fact]
    public void WithoutPenaltyReductionOnlyThePeaksAreSet()
    {
        var box = new Box(10, 10, 100, 90);
        var with = CornerTargets.Build([box], [0], new TargetOptions(1, 128, 128, 128, 128));
        var without = CornerTargets.Build([box], [0], new TargetOptions(1, 128, 128, 128, 128) { PenaltyReduction = false });
        Assert.True(with.TopLeftHeatmap.Count(v => v > 0) > 1);
        Assert.Equal(1, without.TopLeftHeatmap.Count(v => v > 0));
        Assert.Equal(1f, without.TopLeftHeatmap[10 * 128 + 10]);
        Assert.Equal(1f, without.BottomRightHeatmap[90 * 128 + 100]);
    }

    [Fact]
    public void FixedRadiusDrawsTheSameGaussianForAnySize()
    {
        var options = new TargetOptions(1, 64, 64, 64, 64) { Radius = RadiusSetting.Fixed() };
        var small = CornerTargets.Build([new Box(10, 10, 12, 12)], [0], options);
        var large = CornerTargets.Build([new Box(10, 10, 60, 60)], [0], options);
        Assert.Equal(25, small.TopLeftHeatmap.Count(v => v > 0));
        Assert.Equal(small.TopLeftHeatmap, large.TopLeftHeatmap);
    }

    [Theory]
    [InlineData(0, 0, 20, 10, 5, "class 5")]
    [InlineData(5, 0, 4, 10, 0, "x1 ≤ x2")]
    [InlineData(0, 0, 20, 16, 0, "outside")]
    [InlineData(float.NaN, 0, 4, 10, 0, "non-finite")]
    public void BadBoxesAreRejected(float x1, float y1, float x2, float y2, int cls, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => CornerTargets.Build([new Box(x1, y1, x2, y2)], [cls], new TargetOptions(2, 16, 32, 4, 8)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void StackRejectsMixedSizes()
    {
        var a = CornerTargets.Build([], [], new TargetOptions(1, 8, 8, 2, 2));
        var b = CornerTargets.Build([], [], new TargetOptions(1, 8, 8, 4, 4));
        Assert.Throws<ArgumentException>(() => CornerTargetBatch.Stack([a, b]));
    }

    [Fact]
    public void StackLaysImagesOutInBatchOrder()
    {
        using var scope = NewDisposeScope();
        var options = new TargetOptions(2, 8, 8, 8, 8) { MaxObjects = 4 };
        var a = CornerTargets.Build([new Box(1, 1, 3, 3)], [0], options);
        var b = CornerTargets.Build([new Box(2, 2, 5, 6), new Box(0, 0, 1, 1)], [1, 0], options);
        using var batch = CornerTargetBatch.Stack([a, b]);
        Assert.Equal(new long[] { 2, 2, 8, 8 }, batch.TopLeftHeatmaps.shape);
        Assert.Equal(new long[] { 2, 4, 2 }, batch.TopLeftOffsets.shape);
        Assert.Equal(ScalarType.Bool, batch.Mask.dtype);
        Assert.Equal(new[] { true, false, false, false, true, true, false, false }, batch.Mask.data<bool>().ToArray());
        Assert.Equal(new long[] { 9, 0, 0, 0, 18, 0, 0, 0 }, batch.TopLeftIndices.data<long>().ToArray());
        Assert.Equal(1f, batch.TopLeftHeatmaps[1, 1, 2, 2].item<float>());
    }
}
