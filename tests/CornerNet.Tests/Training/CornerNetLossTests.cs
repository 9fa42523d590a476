using CornerNet.Data;
using CornerNet.Model;
using System.Text.Json;
using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

public class CornerNetLossTests
{
    static void AssertRelative(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{what}: {actual} vs {expected} (rel {Math.Abs(actual - expected) / Math.Abs(expected):E2})");

    [FixtureFact]
    public void LossAndPartsMatchTheOfficialAELoss()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var json = TrainFixture.Json();
        var root = json.RootElement;
        using var targets = TrainFixture.TargetBatch(file);
        var loss = CornerNetLoss.ComputeGathered([TrainFixture.Stack(file, 0), TrainFixture.Stack(file, 1)], targets);

        AssertRelative(root.GetProperty("loss_total").GetDouble(), TrainFixture.Value(loss.Total), 1e-4, "total");
        AssertRelative(root.GetProperty("focal_sum_over_stacks").GetDouble(), TrainFixture.Value(loss.Focal), 1e-4, "focal");
        AssertRelative(root.GetProperty("pull_sum_over_stacks_unweighted").GetDouble(), TrainFixture.Value(loss.Pull), 1e-4, "pull");
        AssertRelative(root.GetProperty("push_sum_over_stacks_unweighted").GetDouble(), TrainFixture.Value(loss.Push), 1e-4, "push");
        AssertRelative(root.GetProperty("regr_sum_over_stacks").GetDouble(), TrainFixture.Value(loss.Offset), 1e-4, "regr");
        var perStack = root.GetProperty("per_stack").EnumerateArray().ToArray();
        for (int s = 0; s < 2; s++)
        {
            AssertRelative(perStack[s].GetProperty("focal").GetDouble(), TrainFixture.Value(loss.PerStack[s].Focal), 1e-4, $"focal {s}");
            AssertRelative(perStack[s].GetProperty("pull").GetDouble(), TrainFixture.Value(loss.PerStack[s].Pull), 1e-4, $"pull {s}");
            AssertRelative(perStack[s].GetProperty("push").GetDouble(), TrainFixture.Value(loss.PerStack[s].Push), 1e-4, $"push {s}");
            AssertRelative(perStack[s].GetProperty("regr").GetDouble(), TrainFixture.Value(loss.PerStack[s].Offset), 1e-4, $"regr {s}");
        }
    }

    [FixtureFact]
    public void TargetsBuiltHereGiveTheSameLoss()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var json = TrainFixture.Json();
        using var targets = CornerTargetBatch.Stack(TrainFixture.BuildTargets(TrainFixture.Options));
        var loss = CornerNetLoss.ComputeGathered([TrainFixture.Stack(file, 0), TrainFixture.Stack(file, 1)], targets);
        AssertRelative(json.RootElement.GetProperty("loss_total").GetDouble(), TrainFixture.Value(loss.Total), 1e-4, "total");
    }

    [FixtureFact]
    public void EmbeddingLossCasesMatchIncludingTheSingleObjectConstant()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var json = TrainFixture.Json();
        var cases = json.RootElement.GetProperty("ae_loss_cases");
        var tl = file.Load("ae_case_tl_tags");
        var br = file.Load("ae_case_br_tags");
        var mask = file.Load("ae_case_mask");

        var (pull, push) = PullPushLoss.Compute(tl, br, mask);
        AssertRelative(cases.GetProperty("pull_batch").GetDouble(), TrainFixture.Value(pull), 1e-4, "pull batch");
        AssertRelative(cases.GetProperty("push_batch").GetDouble(), TrainFixture.Value(push), 1e-4, "push batch");

        var perImage = cases.GetProperty("per_image").EnumerateArray().ToArray();
        for (int i = 0; i < perImage.Length; i++)
        {
            // One image at a time: a batch of one, which the official loss cannot do.
            var (p, q) = PullPushLoss.Compute(tl[TensorIndex.Slice(i, i + 1)], br[TensorIndex.Slice(i, i + 1)], mask[TensorIndex.Slice(i, i + 1)]);
            double expectedPull = perImage[i].GetProperty("pull").GetDouble(), expectedPush = perImage[i].GetProperty("push").GetDouble();
            if (expectedPull == 0) Assert.Equal(0, TrainFixture.Value(p));
            else AssertRelative(expectedPull, TrainFixture.Value(p), 1e-4, $"pull image {i}");
            if (expectedPush == 0) Assert.Equal(0, TrainFixture.Value(q));
            else AssertRelative(expectedPush, TrainFixture.Value(q), 1e-4, $"push image {i}");
        }
        // The one-object image's push is the float32 cancellation constant 1.000166 (same operation order).
        Assert.Equal(1, perImage[1].GetProperty("objects").GetInt32());
        var (_, single) = PullPushLoss.Compute(tl[TensorIndex.Slice(1, 2)], br[TensorIndex.Slice(1, 2)], mask[TensorIndex.Slice(1, 2)]);
        Assert.Equal(perImage[1].GetProperty("push").GetDouble(), TrainFixture.Value(single), 7);
    }

    [FixtureFact]
    public void FocalWithoutPositivesIsTheUnnormalizedNegativeSum()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var json = TrainFixture.Json();
        var value = FocalLoss.Compute(file.Load("stack0_tl_heats"), 0.99f * file.Load("tl_heatmaps"));
        AssertRelative(json.RootElement.GetProperty("focal_case_no_positives").GetProperty("value").GetDouble(), TrainFixture.Value(value), 1e-4, "no positives");
    }

    [FixtureFact]
    public void BatchOfOneWorksAndMatchesTheDuplicatedBatch()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var targets = TrainFixture.TargetBatch(file);
        var stacks = new[] { TrainFixture.Stack(file, 0), TrainFixture.Stack(file, 1) };
        for (int i = 0; i < 2; i++)
        {
            var one = TensorIndex.Slice(i, i + 1);
            var twice = tensor(new long[] { i, i });
            using var single = Select(targets, t => t[one]);
            using var duplicated = Select(targets, t => t.index_select(0, twice));
            var a = CornerNetLoss.ComputeGathered(stacks.Select(s => Select(s, t => t[one])).ToList(), single);
            var b = CornerNetLoss.ComputeGathered(stacks.Select(s => Select(s, t => t.index_select(0, twice))).ToList(), duplicated);
            // The official loss (on a duplicated batch) normalizes focal and offsets over the batch but sums pull
            // and push over images: the same focal, the same offset up to its +1e-4 in the divisor (objects n → 2n),
            // twice the pull and push.
            double n = single.Mask.sum().item<long>();
            AssertRelative(TrainFixture.Value(b.Focal), TrainFixture.Value(a.Focal), 1e-5, "focal");
            AssertRelative(TrainFixture.Value(b.Offset) * (2 * n + 1e-4) / (2 * (n + 1e-4)), TrainFixture.Value(a.Offset), 1e-5, "offset");
            AssertRelative(TrainFixture.Value(b.Pull) / 2, TrainFixture.Value(a.Pull), 1e-5, "pull");
            AssertRelative(TrainFixture.Value(b.Push) / 2, TrainFixture.Value(a.Push), 1e-5, "push");
            Assert.True(double.IsFinite(TrainFixture.Value(a.Total)));
        }
    }

    static CornerTargetBatch Select(CornerTargetBatch t, Func<Tensor, Tensor> f) => new(
        f(t.TopLeftHeatmaps), f(t.BottomRightHeatmaps), f(t.TopLeftOffsets), f(t.BottomRightOffsets), f(t.TopLeftIndices), f(t.BottomRightIndices), f(t.Mask));

    static HeadOutputs Select(HeadOutputs s, Func<Tensor, Tensor> f) => new(
        f(s.TlHeats), f(s.BrHeats), f(s.TlTags), f(s.BrTags), f(s.TlRegrs), f(s.BrRegrs));

    [FixtureFact]
    public void BackwardGivesFiniteGradientsForEveryOutput()
    {
        using var scope = NewDisposeScope();
        var file = TrainFixture.Tensors();
        using var targets = TrainFixture.TargetBatch(file);
        var leaves = new List<Tensor>();
        var stacks = new List<HeadOutputs>();
        for (int s = 0; s < 2; s++)
        {
            var st = TrainFixture.Stack(file, s);
            Tensor Leaf(Tensor t) { var l = t.detach().requires_grad_(true); leaves.Add(l); return l; }
            stacks.Add(new HeadOutputs(Leaf(st.TlHeats), Leaf(st.BrHeats), Leaf(st.TlTags), Leaf(st.BrTags), Leaf(st.TlRegrs), Leaf(st.BrRegrs)));
        }
        var loss = CornerNetLoss.ComputeGathered(stacks, targets);
        loss.Total.backward();
        foreach (var leaf in leaves)
        {
            Assert.NotNull(leaf.grad);
            Assert.True(leaf.grad!.isfinite().all().item<bool>());
            Assert.True(leaf.grad!.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void GradientsThroughGatheredMapsReachOnlyTheCorners()
    {
        using var scope = NewDisposeScope();
        var options = new TargetOptions(3, 32, 32, 8, 8);
        var images = new[]
        {
            CornerTargets.Build([new Box(2, 3, 20, 25), new Box(10, 1, 30, 9)], [0, 2], options),
            CornerTargets.Build([new Box(5, 5, 15, 15)], [1], options),
        };
        using var targets = CornerTargetBatch.Stack(images);
        var generator = new TorchSharp.torch.Generator(7);
        var heats = randn([2, 3, 8, 8], generator: generator).requires_grad_(true);
        var tagMap = randn([2, 1, 8, 8], generator: generator).requires_grad_(true);
        var offsetMap = randn([2, 2, 8, 8], generator: generator).requires_grad_(true);
        var stack = new HeadOutputs(heats, heats, tagMap, tagMap, offsetMap, offsetMap);
        var loss = CornerNetLoss.Compute([stack], targets);
        loss.Total.backward();
        Assert.True(heats.grad!.isfinite().all().item<bool>());
        // Embedding gradients are non-zero only at the objects' corners (3 objects, 2 corners each).
        Assert.Equal(6, tagMap.grad!.ne(0).sum().item<long>());
        Assert.True(offsetMap.grad!.ne(0).sum().item<long>() <= 12);
    }

    [Fact]
    public void RepeatedLossAndBackwardLeaveNoLiveTensors()
    {
        var options = new TargetOptions(2, 32, 32, 8, 8);
        var images = new[] { CornerTargets.Build([new Box(2, 3, 20, 25), new Box(10, 1, 30, 9)], [0, 1], options) };
        long before = 0;
        for (int step = 0; step < 5; step++)
        {
            if (step == 1) before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            using var scope = NewDisposeScope();
            using var targets = CornerTargetBatch.Stack(images);
            var heats = randn(1, 2, 8, 8).requires_grad_(true);
            var tags = randn(1, 1, 8, 8).requires_grad_(true);
            var offsets = randn(1, 2, 8, 8).requires_grad_(true);
            var stack = new HeadOutputs(heats, heats, tags, tags, offsets, offsets);
            CornerNetLoss.Compute([stack, stack], targets).Total.backward();
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
