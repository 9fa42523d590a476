using CornerNet.Model;
using CornerNet.Runtime;
using static TorchSharp.torch;

namespace CornerNet.Tests.Runtime;

public class ChannelsLastTests
{
    [Fact]
    public void ChannelsLastModelGivesTheSameHeads()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var model = new CornerNetModel(ModelPresets.Tiny);
        using var packed = new CornerNetModel(ModelPresets.Tiny);
        packed.load_state_dict(model.state_dict());
        model.eval();
        packed.eval();
        ChannelsLast.Apply(packed);
        var input = randn(1, 3, 127, 127);
        var inputPacked = ChannelsLast.Of(input);
        Assert.False(inputPacked.is_contiguous());
        using var _ = no_grad();
        foreach (var ((name, expected), (_, actual)) in model.forward(input)[0].Named().Zip(packed.forward(inputPacked)[0].Named()))
        {
            double maxDiff = (actual - expected).abs().max().item<float>();
            Assert.True(maxDiff <= 1e-4, $"{name}: max |Δ| = {maxDiff}");
        }
    }
}
