using CornerNet.Evaluation;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;

namespace CornerNet.Training;

/// <summary>COCO metrics of a network (as it is, e.g. mid-training) on a COCO-format dataset, without changing
/// it.</summary>
internal static class ModelValidation
{
    /// <summary>
    /// Runs the test procedure (<paramref name="options"/>, default single scale without flip) on every image of
    /// <paramref name="dataset"/> with <paramref name="model"/> in its current mode and evaluates the detections.
    /// The caller puts the model in eval mode; class index i maps to <c>dataset.Classes[i].Id</c>.
    /// <paramref name="progress"/> receives images done and the total after each image.
    /// </summary>
    public static CocoMetrics Evaluate(CornerNetModel model, CocoDataset dataset, DetectionOptions? options = null, Action<int, int>? progress = null)
    {
        using var detector = Detector.Borrowing(model, dataset.Classes, options ?? new DetectionOptions { Flip = false });
        var detections = DatasetDetection.Run(detector, dataset, progress: progress);
        return CocoEvaluator.Evaluate(dataset.Annotations, DatasetDetection.ToCoco(detections));
    }
}
