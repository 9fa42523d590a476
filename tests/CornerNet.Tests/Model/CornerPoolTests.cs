using CornerNet.Model;
using CornerNet.Runtime;
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

    [Theory]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.BFloat16, true)]
    public void InferencePoolingGivesTheAutogradValuesInEveryLayoutWithTiesAndNaN(ScalarType dtype, bool channelsLast)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(17);
        // Small integers make ties common; one NaN must spread along the scan as cummax spreads it.
        var nchw = randint(0, 6, [2, 3, 7, 9], generator: generator).to(dtype);
        nchw[1, 2, 3, 4] = tensor(float.NaN).to(dtype);
        var x = channelsLast ? ChannelsLast.Of(nchw) : nchw;
        foreach (var direction in Enum.GetValues<CornerPoolDirection>())
        {
            var tracked = CornerPool.Pool(nchw.to(ScalarType.Float32).requires_grad_(true), direction).detach();
            var pooled = CornerPool.Pool(x, direction);
            Assert.Equal(dtype, pooled.dtype);
            Assert.Equal(channelsLast, ChannelsLast.IsChannelsLast(pooled));
            Assert.True(pooled.to(ScalarType.Float32).contiguous().allclose(tracked, 0, 0, equal_nan: true), $"{direction}: values differ");
            Assert.True(x.to(ScalarType.Float32).allclose(nchw.to(ScalarType.Float32), 0, 0, equal_nan: true), $"{direction}: the input was changed");
        }
    }
}
