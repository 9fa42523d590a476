using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class CornerPoolTests
{
    [FixtureTheory]
    [InlineData(nameof(CornerPoolDirection.Top), "top_pool")]
    [InlineData(nameof(CornerPoolDirection.Left), "left_pool")]
    [InlineData(nameof(CornerPoolDirection.Bottom), "bottom_pool")]
    [InlineData(nameof(CornerPoolDirection.Right), "right_pool")]
    public void PoolMatchesOfficialForwardExactlyAndCummaxGradient(string directionName, string name)
    {
        var direction = Enum.Parse<CornerPoolDirection>(directionName);
        using var scope = NewDisposeScope();
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "corner_pool.safetensors"));
        var input = file.Load("input").requires_grad_(true);
        var weight = file.Load("weight");
        var pooled = CornerPool.Pool(input, direction);
        Assert.True(pooled.Equals(file.Load(name)), $"{name}: forward is not bit-exact");
        (pooled * weight).sum().backward();
        double maxDiff = (input.grad! - file.Load(name + "_grad")).abs().max().item<float>();
        Assert.True(maxDiff <= 1e-6, $"{name}: gradient max |Δ| = {maxDiff}");
    }

    [FixtureFact]
    public void PairsSumTheirTwoDirections()
    {
        using var scope = NewDisposeScope();
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "corner_pool.safetensors"));
        var input = file.Load("input");
        Assert.True(CornerPool.TopLeft(input, input).Equals(file.Load("top_plus_left")));
        Assert.True(CornerPool.BottomRight(input, input).Equals(file.Load("bottom_plus_right")));
    }

    [Fact]
    public void TopPoolIsTheMaximumOfEverythingBelow()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 5, 2, 4, 3, 0 }).reshape(1, 1, 6, 1);
        var top = CornerPool.Pool(x, CornerPoolDirection.Top);
        Assert.Equal(new float[] { 5, 5, 4, 4, 3, 0 }, top.data<float>().ToArray());
        var bottom = CornerPool.Pool(x, CornerPoolDirection.Bottom);
        Assert.Equal(new float[] { 1, 5, 5, 5, 5, 5 }, bottom.data<float>().ToArray());
    }
}
