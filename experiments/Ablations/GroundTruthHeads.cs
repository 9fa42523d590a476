using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Experiments;

/// <summary>
/// The error analysis of the paper's Table 3: replaces a network's predicted corner heatmaps (and optionally its
/// offsets) by ground truth built from the annotations at output resolution, keeping the predicted embeddings, so
/// that <see cref="CornerDecoder"/> decodes "perfect" corners. The ground-truth heatmap is the training target
/// (<see cref="CornerTargets"/>, Gaussians with values in [0, 1]); because the decoder applies a sigmoid, it is
/// passed on as clamped logits, which the sigmoid maps back to the same probabilities.
/// </summary>
internal static class GroundTruthHeads
{
    /// <summary>Probabilities are clamped to [ε, 1 − ε] before the logit so that 0 and 1 stay finite.</summary>
    public const double ProbabilityClamp = 1e-6;

    /// <summary>
    /// Targets of one test input: <paramref name="boxes"/> (image pixels, with class indices <paramref name="classes"/>)
    /// mapped into the network input as the test preprocessor places the image (scale, then centring offset), clipped
    /// to the input, and drawn at the output resolution of <paramref name="geometry"/> with <paramref name="radius"/>.
    /// </summary>
    public static CornerTargets TargetsFor(IReadOnlyList<Box> boxes, IReadOnlyList<int> classes, ScaleGeometry geometry, int classCount, RadiusSetting? radius = null)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(geometry);
        float scale = (float)geometry.Scale;
        var placed = boxes.Select(b => b.Scale(scale, scale).Shift(geometry.Left, geometry.Top)).ToArray();
        var (clipped, clippedClasses) = BoxClipping.Apply(placed, classes, geometry.InputWidth, geometry.InputHeight);
        var options = new TargetOptions(classCount, geometry.InputHeight, geometry.InputWidth, geometry.OutputHeight, geometry.OutputWidth)
        {
            Radius = radius ?? RadiusSetting.Official(),
            MaxObjects = Math.Max(1, clipped.Length),
        };
        return CornerTargets.Build(clipped, clippedClasses, options);
    }

    /// <summary>
    /// Heads equal to <paramref name="predicted"/> except that both heatmaps are the ground truth of
    /// <paramref name="targets"/> (one per batch image, as logits) and, with <paramref name="offsets"/>, the offsets at
    /// every ground-truth corner are the true sub-pixel offsets (elsewhere the predicted ones, which the decoder only
    /// reads at its top-K corners). Embeddings stay predicted. The new tensors have the heads' type and device.
    /// </summary>
    /// <exception cref="ArgumentException">The number of targets or their map size or class count does not match the heads.</exception>
    public static HeadOutputs Substitute(HeadOutputs predicted, IReadOnlyList<CornerTargets> targets, bool offsets)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(targets);
        long n = predicted.TlHeats.shape[0], c = predicted.TlHeats.shape[1], h = predicted.TlHeats.shape[2], w = predicted.TlHeats.shape[3];
        if (targets.Count != n) throw new ArgumentException($"{targets.Count} targets for a batch of {n}", nameof(targets));
        foreach (var t in targets)
            if (t.Options.Classes != c || t.Options.OutputHeight != h || t.Options.OutputWidth != w)
                throw new ArgumentException($"targets of {t.Options.Classes}×{t.Options.OutputHeight}×{t.Options.OutputWidth} for heads of {c}×{h}×{w}", nameof(targets));

        using var scope = NewDisposeScope();
        var tlHeats = Logits(targets.SelectMany(t => t.TopLeftHeatmap).ToArray(), predicted.TlHeats);
        var brHeats = Logits(targets.SelectMany(t => t.BottomRightHeatmap).ToArray(), predicted.BrHeats);
        var tlRegrs = predicted.TlRegrs;
        var brRegrs = predicted.BrRegrs;
        if (offsets)
        {
            tlRegrs = WithTrueOffsets(predicted.TlRegrs, targets, t => t.TopLeftIndices, t => t.TopLeftOffsets);
            brRegrs = WithTrueOffsets(predicted.BrRegrs, targets, t => t.BottomRightIndices, t => t.BottomRightOffsets);
            tlRegrs.MoveToOuterDisposeScope();
            brRegrs.MoveToOuterDisposeScope();
        }
        return new HeadOutputs(tlHeats.MoveToOuterDisposeScope(), brHeats.MoveToOuterDisposeScope(), predicted.TlTags, predicted.BrTags, tlRegrs, brRegrs);
    }

    static Tensor Logits(float[] probabilities, Tensor like) =>
        tensor(probabilities, like.shape).to(like.dtype, like.device).logit(ProbabilityClamp);

    // N×2×H×W offsets with the true (x, y) offsets written at each image's valid corner positions.
    static Tensor WithTrueOffsets(Tensor predicted, IReadOnlyList<CornerTargets> targets, Func<CornerTargets, long[]> indices, Func<CornerTargets, float[]> values)
    {
        long n = predicted.shape[0], h = predicted.shape[2], w = predicted.shape[3];
        var result = predicted.clone();
        var flat = result.view(n, 2, h * w);
        for (int b = 0; b < targets.Count; b++)
        {
            int count = targets[b].ObjectCount;
            if (count == 0) continue;
            var positions = indices(targets[b]).Take(count).ToArray();
            var xy = values(targets[b]);
            // Row 0 holds x offsets, row 1 y offsets, as the offset head's channels.
            var source = tensor(Enumerable.Range(0, count).Select(i => xy[2 * i]).Concat(Enumerable.Range(0, count).Select(i => xy[2 * i + 1])).ToArray(), [2, count])
                .to(predicted.dtype, predicted.device);
            var index = tensor(positions.Concat(positions).ToArray(), [2, count]).to(predicted.device);
            flat[b].scatter_(1, index, source);
        }
        return result;
    }
}
