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
    public static List<CocoDetection> Detect(CornerNetModel network, CachedSource validation, EvaluationVariant variant, IReadOnlyList<ClassInfo> classes)
    {
        var substituted = new SubstitutedNetwork(network, variant.TrueOffsets);
        using var detector = new Detector(substituted, classes, new DetectionOptions { Flip = variant.Flip }, ownsNetwork: false);
        BgrImage Image(int i)
        {
            var sample = validation.Sample(i);
            substituted.Current = variant.TrueHeatmaps
                ? GroundTruthHeads.TargetsFor(sample.Objects.Select(o => o.Box).ToArray(), sample.Objects.Select(o => o.ClassIndex).ToArray(),
                    ScaleGeometry.For(sample.Image.Height, sample.Image.Width, 1.0), network.Config.Classes)
                : null;
            return sample.Image;
        }
        // One image per call: the substituted targets belong to the image being detected.
        return DatasetDetection.ToCoco(DatasetDetection.Run(detector, Enumerable.Range(0, validation.Count).ToArray(), i => i + 1, Image, batchSize: 1));
    }

    /// <summary>The network with its heatmaps (and offsets) replaced by <see cref="Current"/>'s ground truth when set.</summary>
    sealed class SubstitutedNetwork(CornerNetModel network, bool trueOffsets) : IDetectionNetwork
    {
        public CornerTargets? Current { get; set; }

        public CornerNetConfig Config => network.Config;

        public InferenceEngine Engine => InferenceEngine.Torch;

        public DetectionPipeline CreatePipeline(DetectionOptions options) => new(batch =>
        {
            var heads = network.forward(batch)[^1];
            return Current is null ? heads : GroundTruthHeads.Substitute(heads, [Current], trueOffsets);
        }, Config.Classes, options, new ImagePreprocessor(Config.Normalization, Config.Stride));

        public void Dispose()
        {
        }
    }
}
