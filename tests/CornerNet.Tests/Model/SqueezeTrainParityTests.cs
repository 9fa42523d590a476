using System.Text.Json;
using CornerNet.Model;
using CornerNet.Training;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

/// <summary>CornerNet-Squeeze training against ../shared/fixtures/lite/squeeze_small_train.* (official Lite code).</summary>
public class SqueezeTrainParityTests(ITestOutputHelper output)
{
    static SafeTensorsFile TrainFixture => SafeTensorsFile.Read(Path.Combine(SqueezeModelTests.Lite, "squeeze_small_train.safetensors"));

    static CornerTargetBatch Targets(SafeTensorsFile f) => new(f.Load("tl_heatmaps"), f.Load("br_heatmaps"), f.Load("tl_regrs"), f.Load("br_regrs"),
        f.Load("tl_tags"), f.Load("br_tags"), f.Load("tag_masks"));

    [FixtureFact]
    public void TrainModeForwardMatchesTheOfficialStacksAndBatchNormStatistics()
    {
        using var scope = NewDisposeScope();
        using var model = SqueezeParityTests.LoadSmallSqueeze();
        model.train();
        var f = TrainFixture;
        var stacks = model.forward(f.Load("image"));
        Assert.Equal(2, stacks.Count);
        void Check(string name, Tensor actual, double tolerance)
        {
            var expected = f.Load(name);
            Assert.Equal(expected.shape, actual.shape);
            double maxDiff = (actual - expected).abs().max().item<float>();
            output.WriteLine($"{name}: max |Δ| = {maxDiff:E2}");
            Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
        }
        for (int s = 0; s < 2; s++)
            foreach (var (name, actual) in stacks[s].Named())
                Check($"stack{s}_{name.Replace("regrs", "offs")}", actual, name.EndsWith("heats") ? 1e-3 : 1e-4);
        var state = model.state_dict();
        Check("bn_after_train_forward.hg.pre.0.bn.running_mean", state["hg.pre.0.bn.running_mean"], 1e-5);
        Check("bn_after_train_forward.hg.pre.0.bn.running_var", state["hg.pre.0.bn.running_var"], 1e-5);
    }

    [FixtureFact]
    public void LossPartsAndGradientsMatchTheOfficialOnes()
    {
        using var scope = NewDisposeScope();
        using var model = SqueezeParityTests.LoadSmallSqueeze();
        model.train();
        var f = TrainFixture;
        var targets = Targets(f);
        var stacks = model.forward(f.Load("image"));
        var parts = CornerNetLoss.Compute(stacks, targets);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(SqueezeModelTests.Lite, "squeeze_small_train.json")));
        void CheckLoss(string key, Tensor actual)
        {
            double expected = json.RootElement.GetProperty(key).GetDouble(), value = actual.item<float>();
            double relative = Math.Abs(value - expected) / Math.Abs(expected);
            output.WriteLine($"{key}: {value} against {expected} (relative {relative:E2})");
            Assert.True(relative <= 1e-4, $"{key}: {value} against {expected}");
        }
        CheckLoss("loss_total", parts.Total);
        CheckLoss("focal_sum_over_stacks", parts.Focal);
        CheckLoss("pull_sum_over_stacks_unweighted", parts.Pull);
        CheckLoss("push_sum_over_stacks_unweighted", parts.Push);
        CheckLoss("off_sum_over_stacks", parts.Offset);

        parts.Total.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int checkedGradients = 0;
        foreach (var info in f.Tensors.Where(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)))
        {
            string name = info.Name["grad.".Length..];
            var expected = f.Load(info.Name);
            var actual = parameters[name].grad!;
            double relative = ((actual - expected).norm() / expected.norm()).item<float>();
            bool head = name.Contains("_heats.") || name.Contains("_tags.") || name.Contains("_offs.");
            output.WriteLine($"{name}: ‖Δ‖/‖g‖ = {relative:E2}");
            Assert.True(relative <= (head ? 1e-4 : 2e-2), $"{name}: ‖Δ‖/‖g‖ = {relative}");
            checkedGradients++;
        }
        Assert.Equal(20, checkedGradients);
    }
}
