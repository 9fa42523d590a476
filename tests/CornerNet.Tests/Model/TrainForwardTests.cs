using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

public class TrainForwardTests
{
    static Tensor Gather(Tensor map, Tensor indices)
    {
        // N×C×H×W → N×(H·W)×C, then pick rows at indices (the official _tranpose_and_gather_feat).
        var flat = map.permute(0, 2, 3, 1).reshape(map.shape[0], -1, map.shape[1]);
        return flat.gather(1, indices.unsqueeze(2).expand(-1, -1, map.shape[1]));
    }

    [FixtureFact]
    public void TrainModeForwardMatchesOfficialStackOutputsAndBatchNormStatistics()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        using var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        model.train();
        var fixture = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_train.safetensors"));
        var stacks = model.forward(fixture.Load("image"));
        Assert.Equal(2, stacks.Count);

        var tlTags = fixture.Load("tl_tags");
        var brTags = fixture.Load("br_tags");
        void Check(string name, Tensor actual, double tolerance)
        {
            var expected = fixture.Load(name);
            Assert.Equal(expected.shape, actual.shape);
            double maxDiff = (actual - expected).abs().max().item<float>();
            Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
        }
        for (int s = 0; s < 2; s++)
        {
            var h = stacks[s];
            Check($"stack{s}_tl_heats", h.TlHeats, 1e-3);
            Check($"stack{s}_br_heats", h.BrHeats, 1e-3);
            Check($"stack{s}_tl_tags_gathered", Gather(h.TlTags, tlTags), 1e-4);
            Check($"stack{s}_br_tags_gathered", Gather(h.BrTags, brTags), 1e-4);
            Check($"stack{s}_tl_regrs_gathered", Gather(h.TlRegrs, tlTags), 1e-4);
            Check($"stack{s}_br_regrs_gathered", Gather(h.BrRegrs, brTags), 1e-4);
        }
        var state = model.state_dict();
        Check("bn_after_train_forward.pre.0.bn.running_mean", state["pre.0.bn.running_mean"], 1e-5);
        Check("bn_after_train_forward.pre.0.bn.running_var", state["pre.0.bn.running_var"], 1e-5);
    }
}

public class TrainGradientTests
{
    [FixtureFact]
    public void LossGradientsMatchTheOfficialCode()
    {
        using var scope = NewDisposeScope();
        var weights = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors")).LoadAll();
        using var model = new CornerNetModel(ModelPresets.Small);
        StateDictLoader.Load(model, weights, "small_cornernet.safetensors");
        model.train();
        var f = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_train.safetensors"));
        var targets = new CornerNet.Training.CornerTargetBatch(f.Load("tl_heatmaps"), f.Load("br_heatmaps"), f.Load("tl_regrs"), f.Load("br_regrs"),
            f.Load("tl_tags"), f.Load("br_tags"), f.Load("tag_masks"));
        var stacks = model.forward(f.Load("image"));
        var parts = CornerNet.Training.CornerNetLoss.Compute(
            stacks, targets);
        parts.Total.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var info in f.Tensors.Where(t => t.Name.StartsWith("grad.")))
        {
            string name = info.Name["grad.".Length..];
            var expected = f.Load(info.Name);
            var actual = parameters[name].grad!;
            double relative = ((actual - expected).norm() / expected.norm()).item<float>();
            // README: heads are well conditioned (≤ 1e-4); backbone gradients differ by up to 0.75 % between official reruns.
            bool head = name.Contains("_heats.") || name.Contains("_tags.") || name.Contains("_regrs.");
            Assert.True(relative <= (head ? 1e-4 : 2e-2), $"{name}: ‖Δ‖/‖g‖ = {relative}");
        }
    }
}
