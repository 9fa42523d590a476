using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Training;

namespace CornerNet.Experiments;

/// <summary>The synthetic validation split as COCO ground truth, and detections of a model on it.</summary>
static class Validation
{
    public static CocoAnnotationFile Annotations(CachedSource validation, IReadOnlyList<ClassInfo> classes, int size)
    {
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        for (int i = 0; i < validation.Count; i++)
        {
            images.Add(new CocoImage(i + 1, $"{i + 1:D6}.png", size, size));
            foreach (var o in validation.Sample(i).Objects)
                annotations.Add(new CocoAnnotation(annotations.Count + 1, i + 1, o.ClassIndex + 1,
                    new CocoBox(o.Box.X1, o.Box.Y1, o.Box.Width, o.Box.Height), o.VisiblePixels, IsCrowd: false));
        }
        return new CocoAnnotationFile("synthetic-validation", images, annotations, classes.Select(c => new CocoCategory(c.Id, c.Name, "shape")).ToArray());
    }

    /// <summary>
    /// Runs the test pipeline of <paramref name="variant"/> on every validation image. For the error-analysis
    /// variants the network's heatmaps (and offsets) are replaced by ground truth of the image being tested; the
    /// pipeline processes one image at a time, so the current image's targets are set before each call.
    /// </summary>
    public static List<CocoDetection> Detect(CornerNetModel network, CachedSource validation, EvaluationVariant variant)
    {
        var config = network.Config;
        CornerTargets? current = null;
        var preprocessor = new ImagePreprocessor(config.Mean.Select(m => (float)m).ToArray(), config.Std.Select(s => (float)s).ToArray());
        var pipeline = new DetectionPipeline(batch =>
        {
            var last = network.forward(batch)[^1];
            var heads = last;
            return current is null ? heads : GroundTruthHeads.Substitute(heads, [current], variant.TrueOffsets);
        }, config.Classes, new DetectionOptions { Flip = variant.Flip }, preprocessor);

        var detections = new List<CocoDetection>();
        for (int i = 0; i < validation.Count; i++)
        {
            var sample = validation.Sample(i);
            if (variant.TrueHeatmaps)
            {
                var geometry = ScaleGeometry.For(sample.Image.Height, sample.Image.Width, 1.0);
                current = GroundTruthHeads.TargetsFor(sample.Objects.Select(o => o.Box).ToArray(), sample.Objects.Select(o => o.ClassIndex).ToArray(), geometry, config.Classes);
            }
            foreach (var d in pipeline.Detect(sample.Image))
                detections.Add(new CocoDetection(i + 1, d.ClassIndex + 1, new CocoBox(d.X1, d.Y1, d.X2 - d.X1, d.Y2 - d.Y1), d.Score));
        }
        return detections;
    }
}
