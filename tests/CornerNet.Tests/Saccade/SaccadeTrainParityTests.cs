using System.Text.Json;
using CornerNet.Model;
using CornerNet.Training;
using CornerNet.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>
/// CornerNet-Saccade training against ../shared/fixtures/saccade/saccade_small_train.*: the official
/// <c>CornerNet_Saccade_Loss</c> on the official outputs and targets, the train-mode forward, and the gradients.
/// </summary>
public class SaccadeTrainParityTests(ITestOutputHelper output)
{
    static SafeTensorsFile Train() =>
        SafeTensorsFile.Read(Path.Combine(Fixtures.Saccade, "saccade_small_train.safetensors"));

    static JsonElement Json() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Saccade, "saccade_small_train.json"))).RootElement;

    static SaccadeTargetBatch Targets(SafeTensorsFile f) => new(
        new CornerTargetBatch(f.Load("tl_heatmaps"), f.Load("br_heatmaps"), f.Load("tl_regrs"), f.Load("br_regrs"),
            f.Load("tl_tags"), f.Load("br_tags"), f.Load("tag_masks")),
        f.Load("tl_valids"), f.Load("br_valids"),
        Enumerable.Range(0, 3).Select(i => f.Load($"attention_targets_{i}")).ToArray());

    static SaccadeOutputs OfficialOutputs(SafeTensorsFile f) => new(
        Enumerable.Range(0, 2).Select(s => new HeadOutputs(f.Load($"stack{s}_tl_heats"), f.Load($"stack{s}_br_heats"),
            f.Load($"stack{s}_tl_tags"), f.Load($"stack{s}_br_tags"), f.Load($"stack{s}_tl_offs"),
            f.Load($"stack{s}_br_offs"))).ToArray(),
        Enumerable.Range(0, 2).Select(s => (IReadOnlyList<Tensor>)Enumerable.Range(0, 3)
            .Select(i => f.Load($"stack{s}_att_logits_{i}")).ToArray()).ToArray());

    void AssertRelative(double expected, Tensor actual, double tolerance, string name)
    {
        double value = actual.item<float>();
        double relative = Math.Abs(value - expected) / Math.Abs(expected);
        output.WriteLine($"{name}: {value} vs {expected} (relative {relative:E2})");
        Assert.True(relative <= tolerance, $"{name}: {value} vs official {expected}");
    }

    [FixtureFact]
    public void LossOfTheOfficialOutputsMatchesTheOfficialLoss()
    {
        using var scope = NewDisposeScope();
        var f = Train();
        var json = Json();
        var parts = SaccadeLoss.Compute(OfficialOutputs(f), Targets(f));
        AssertRelative(json.GetProperty("loss_total").GetDouble(), parts.Total, 1e-4, "total");
        AssertRelative(json.GetProperty("focal_sum_over_stacks").GetDouble(), parts.Focal, 1e-4, "focal");
        AssertRelative(json.GetProperty("att_sum").GetDouble(), parts.Attention, 1e-4, "attention");
        AssertRelative(json.GetProperty("pull_sum_over_stacks_unweighted").GetDouble(), parts.Pull, 1e-4, "pull");
        AssertRelative(json.GetProperty("push_sum_over_stacks_unweighted").GetDouble(), parts.Push, 1e-4, "push");
        AssertRelative(json.GetProperty("off_sum_over_stacks").GetDouble(), parts.Offset, 1e-4, "offset");
    }

    [FixtureFact]
    public void MaskedFocalLossLeavesOutIgnoredPixels()
    {
        using var scope = NewDisposeScope();
        var f = Train();
        var logits = f.Load("stack0_tl_heats");
        var target = f.Load("tl_heatmaps");
        var valid = f.Load("tl_valids");
        Assert.True(valid.lt(1).any().item<bool>(), "the fixture has ignored pixels");
        var masked = SaccadeLoss.MaskedFocal(logits, target, valid).item<float>();
        var unmasked = SaccadeLoss.MaskedFocal(logits, target, ones_like(valid)).item<float>();
        Assert.Equal(FocalLoss.Compute(logits, target).item<float>(), unmasked, 5);
        Assert.True(masked < unmasked, $"masked {masked} should be below unmasked {unmasked}");
    }

    [FixtureFact]
    public void TrainForwardLossAndGradientsMatchTheOfficialOnes()
    {
        using var scope = NewDisposeScope();
        var f = Train();
        using var model = SaccadeModelParityTests.LoadSmall();
        model.train();
        using var outputs = model.forward(f.Load("image"));
        Assert.Equal(2, outputs.Heads.Count);
        for (int s = 0; s < 2; s++)
        {
            foreach (var (name, actual) in outputs.Heads[s].Named())
            {
                string key = $"stack{s}_{name.Replace("regrs", "offs")}";
                AssertClose(f.Load(key), actual, name.EndsWith("heats") ? 1e-3 : 1e-4, key);
            }
            for (int i = 0; i < 3; i++)
                AssertClose(f.Load($"stack{s}_att_logits_{i}"), outputs.AttentionLogits[s][i], 1e-3,
                    $"stack{s}_att_logits_{i}");
        }
        var state = model.state_dict();
        foreach (var stat in new[] { "running_mean", "running_var" })
            AssertClose(f.Load($"bn_after_train_forward.hg.pre.0.bn.{stat}"), state[$"hg.pre.0.bn.{stat}"], 1e-5, stat);

        var parts = SaccadeLoss.Compute(outputs, Targets(f));
        AssertRelative(Json().GetProperty("loss_total").GetDouble(), parts.Total, 1e-4, "total");
        parts.Total.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int compared = 0;
        foreach (var info in f.Tensors.Where(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)))
        {
            string name = info.Name["grad.".Length..];
            var expected = f.Load(info.Name);
            var grad = parameters[name].grad ?? throw new InvalidOperationException($"{name} has no gradient");
            double relative = (grad - expected).norm().item<float>() / expected.norm().item<float>();
            bool head = name.Contains("heats.") || name.Contains("tags.") || name.Contains("offs.")
                || name.StartsWith("att_modules.", StringComparison.Ordinal);
            double tolerance = head ? 1e-4 : 2e-2;
            output.WriteLine($"grad {name}: relative L2 {relative:E2} (≤ {tolerance:E0})");
            Assert.True(relative <= tolerance, $"grad {name}: relative L2 {relative}");
            compared++;
        }
        Assert.Equal(25, compared);
    }

    void AssertClose(Tensor expected, Tensor actual, double tolerance, string name)
    {
        Assert.Equal(expected.shape, actual.shape);
        double maxDiff = (actual.detach() - expected).abs().max().item<float>();
        output.WriteLine($"{name}: max |Δ| = {maxDiff:E2}");
        Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
    }
}
