using CornerNet.Evaluation;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;

namespace CornerNet.Training;

/// <summary>COCO metrics of a network (as it is, e.g. mid-training) on a COCO-format dataset, without changing it.</summary>
public static class ModelValidation
{
    /// <summary>
    /// Runs the test procedure (<paramref name="options"/>, default single scale without flip) on every image of
    /// <paramref name="dataset"/> with <paramref name="model"/> in its current mode and evaluates the detections.
    /// The caller puts the model in eval mode; class index i maps to <c>dataset.Classes[i].Id</c>.
    /// <paramref name="progress"/> receives images done and the total after each image.
    /// </summary>
    public static CocoMetrics Evaluate(CornerNetModel model, CocoDataset dataset, DetectionOptions? options = null, Action<int, int>? progress = null)
    {
        var pipeline = DetectionPipeline.ForModel(model, options ?? new DetectionOptions { Flip = false });
        var detections = new List<CocoDetection>();
        for (int i = 0; i < dataset.Count; i++)
        {
            long imageId = dataset.Annotations.Images[i].Id;
            foreach (var d in pipeline.Detect(ImageDecoder.Decode(dataset.ImagePath(i))))
                detections.Add(new CocoDetection(imageId, dataset.Classes[d.ClassIndex].Id, new CocoBox(d.X1, d.Y1, d.X2 - d.X1, d.Y2 - d.Y1), d.Score));
            progress?.Invoke(i + 1, dataset.Count);
        }
        return CocoEvaluator.Evaluate(dataset.Annotations, detections);
    }
}
