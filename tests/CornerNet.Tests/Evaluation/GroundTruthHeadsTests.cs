using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Tests.Evaluation;

/// <summary>The error-analysis substitution of predicted heads by ground truth (paper Table 3).</summary>
public class GroundTruthHeadsTests
{
    const int Size = 127, Classes = 6;
    static readonly SyntheticShapes Shapes = new(Size, maxObjects: 6);
    static readonly ScaleGeometry Geometry = ScaleGeometry.For(Size, Size, 1.0);

    static CornerTargets TargetsOf(SyntheticImage sample) =>
        GroundTruthHeads.TargetsFor(sample.Objects.Select(o => o.Box).ToArray(), sample.Objects.Select(o => o.ClassIndex).ToArray(), Geometry, Classes);

    // Heads that predict nothing, except embeddings that tell the objects apart (tag 10·j at both corners of object j).
    static CornerHeads UninformedHeads(CornerTargets targets)
    {
        long h = Geometry.OutputHeight, w = Geometry.OutputWidth;
        var tlTags = new float[h * w];
        var brTags = new float[h * w];
        Array.Fill(tlTags, -1000f);
        Array.Fill(brTags, 1000f);
        for (int j = 0; j < targets.ObjectCount; j++)
        {
            tlTags[targets.TopLeftIndices[j]] = 10 * j;
            brTags[targets.BottomRightIndices[j]] = 10 * j;
        }
        return new CornerHeads(zeros(1, Classes, h, w), zeros(1, Classes, h, w), tensor(tlTags, [1, 1, h, w]), tensor(brTags, [1, 1, h, w]),
            zeros(1, 2, h, w), zeros(1, 2, h, w));
    }

    [Fact]
    public void SubstitutedHeatmapsAreTheTargetsThroughTheSigmoid()
    {
        using var scope = NewDisposeScope();
        var targets = TargetsOf(Shapes.Generate(3, 0));
        var heads = GroundTruthHeads.Substitute(UninformedHeads(targets), [targets], offsets: false);

        var tl = heads.TlHeats.sigmoid().data<float>().ToArray();
        var br = heads.BrHeats.sigmoid().data<float>().ToArray();
        for (int i = 0; i < tl.Length; i++)
        {
            Assert.True(Math.Abs(tl[i] - targets.TopLeftHeatmap[i]) <= 2e-6, $"top-left {i}: {tl[i]} vs {targets.TopLeftHeatmap[i]}");
            Assert.True(Math.Abs(br[i] - targets.BottomRightHeatmap[i]) <= 2e-6, $"bottom-right {i}: {br[i]} vs {targets.BottomRightHeatmap[i]}");
        }
    }

    [Fact]
    public void OffsetsAreReplacedOnlyAtGroundTruthCornersAndOnlyWhenAsked()
    {
        using var scope = NewDisposeScope();
        var targets = TargetsOf(Shapes.Generate(3, 1));
        var predicted = UninformedHeads(targets) with { TlRegrs = full(1, 2, Geometry.OutputHeight, Geometry.OutputWidth, 0.25f) };

        var kept = GroundTruthHeads.Substitute(predicted, [targets], offsets: false);
        Assert.True(kept.TlRegrs.Equals(predicted.TlRegrs));
        Assert.Same(predicted.TlTags, kept.TlTags);

        var replaced = GroundTruthHeads.Substitute(predicted, [targets], offsets: true);
        var flat = replaced.TlRegrs.reshape(2, -1);
        for (int j = 0; j < targets.ObjectCount; j++)
        {
            long index = targets.TopLeftIndices[j];
            Assert.Equal(targets.TopLeftOffsets[2 * j], flat[0, index].item<float>());
            Assert.Equal(targets.TopLeftOffsets[2 * j + 1], flat[1, index].item<float>());
        }
        int untouched = (int)flat.eq(0.25f).sum().item<long>();
        Assert.Equal(2 * Geometry.OutputHeight * Geometry.OutputWidth - 2 * targets.TopLeftIndices.Take(targets.ObjectCount).Distinct().Count(), untouched);
        Assert.True(predicted.TlRegrs.eq(0.25f).all().item<bool>(), "the predicted offsets must not be modified in place");
    }

    [Fact]
    public void GroundTruthHeatmapsAndOffsetsGiveAPOfOne()
    {
        CornerTargets? current = null;
        var pipeline = new TestPipeline(_ => GroundTruthHeads.Substitute(UninformedHeads(current!), [current!], offsets: true), Classes,
            new TestOptions { Flip = false });
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        var detections = new List<CocoDetection>();
        for (int i = 0; i < 10; i++)
        {
            var sample = Shapes.Generate(5, i);
            images.Add(new CocoImage(i + 1, $"{i}.png", Size, Size));
            // The test procedure clips detections to the last pixel (official _clip_detections), while synthetic boxes
            // may end on the image border (x2 = 127): compare with the boxes clipped the same way.
            var (clipped, clippedClasses) = BoxClipping.Apply(sample.Objects.Select(o => o.Box).ToArray(), sample.Objects.Select(o => o.ClassIndex).ToArray(), Size, Size);
            for (int j = 0; j < clipped.Length; j++)
                annotations.Add(new CocoAnnotation(annotations.Count + 1, i + 1, clippedClasses[j] + 1, new CocoBox(clipped[j].X1, clipped[j].Y1, clipped[j].Width, clipped[j].Height), clipped[j].Width * clipped[j].Height, IsCrowd: false));
            current = TargetsOf(sample);
            foreach (var d in pipeline.Detect(sample.Image))
                detections.Add(new CocoDetection(i + 1, d.ClassIndex + 1, new CocoBox(d.X1, d.Y1, d.X2 - d.X1, d.Y2 - d.Y1), d.Score));
        }
        var categories = SyntheticShapes.ClassNames.Select((n, k) => new CocoCategory(k + 1, n, "shape")).ToArray();

        var metrics = CocoEvaluator.Evaluate(new CocoAnnotationFile("gt", images, annotations, categories), detections);

        Assert.True(metrics.AP > 0.99, $"AP {metrics.AP}");
        Assert.True(metrics.AR100 > 0.99, $"AR100 {metrics.AR100}");
    }

    [Fact]
    public void RejectsTargetsThatDoNotMatchTheHeads()
    {
        using var scope = NewDisposeScope();
        var targets = TargetsOf(Shapes.Generate(3, 2));
        var heads = UninformedHeads(targets);

        Assert.Throws<ArgumentException>(() => GroundTruthHeads.Substitute(heads, [targets, targets], offsets: false));
        var otherSize = GroundTruthHeads.TargetsFor([new Box(1, 1, 20, 20)], [0], ScaleGeometry.For(255, 255, 1.0), Classes);
        Assert.Throws<ArgumentException>(() => GroundTruthHeads.Substitute(heads, [otherSize], offsets: false));
    }
}
