using CornerNet.Data;

namespace CornerNet.Inference;

/// <summary>One dataset image's detections, or the reason it was skipped (unreadable, with skipping on).</summary>
/// <param name="Index">Index of the image in its dataset.</param>
/// <param name="ImageId">COCO image id.</param>
/// <param name="Objects">Detected objects, best first; null when the image was skipped.</param>
/// <param name="SkipReason">Why the image was skipped (one line naming the file); null when detected.</param>
public sealed record ImageDetections(int Index, long ImageId, IReadOnlyList<DetectedObject>? Objects, string? SkipReason = null);

/// <summary>
/// The loop that detects every image of a dataset, or a subset such as one process's shard, a batch at a time: used
/// by <c>cornernet test</c>, validation during training, the quick start and the experiments.
/// </summary>
public static class DatasetDetection
{
    /// <summary>
    /// Detects images <paramref name="indices"/> (default: all) of <paramref name="dataset"/>; see the general
    /// overload.
    /// </summary>
    public static IReadOnlyList<ImageDetections> Run(Detector detector, CocoDataset dataset, IReadOnlyList<int>? indices = null, int batchSize = 1,
        bool skipUnreadable = false, Action<ImageDetections, BgrImage>? onImage = null, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Run(detector, indices ?? Enumerable.Range(0, dataset.Count).ToArray(), i => dataset.Annotations.Images[i].Id,
            i => Decode(dataset.ImagePath(i), detector.Options), batchSize, skipUnreadable, onImage, progress);
    }

    /// <summary>The image at <paramref name="path"/>, checked to be detectable under <paramref name="options"/>, so
    /// that a refusal names its file.</summary>
    static BgrImage Decode(string path, DetectionOptions options)
    {
        var image = ImageDecoder.Decode(path);
        options.RequireDownscalable(image.Width, image.Height, path);
        return image;
    }

    /// <summary>
    /// Detects the images <paramref name="indices"/>, <paramref name="batchSize"/> at a time (see
    /// <see cref="Detector.Detect(IReadOnlyList{BgrImage}, int)"/>). <paramref name="image"/> reads image i and
    /// <paramref name="imageId"/> gives its COCO id. With <paramref name="skipUnreadable"/> an image whose reading
    /// throws
    /// <see cref="InvalidInputException"/> is reported as skipped instead of stopping the run.
    /// <paramref name="onImage"/>
    /// sees each detected image (e.g. to draw it); <paramref name="progress"/> receives images done and the total after
    /// each batch. The results follow <paramref name="indices"/>' order.
    /// </summary>
    public static IReadOnlyList<ImageDetections> Run(Detector detector, IReadOnlyList<int> indices, Func<int, long> imageId, Func<int, BgrImage> image,
        int batchSize = 1, bool skipUnreadable = false, Action<ImageDetections, BgrImage>? onImage = null, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(imageId);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<ImageDetections>(indices.Count);
        foreach (var chunk in indices.Chunk(batchSize))
        {
            var decoded = new List<(int Index, BgrImage Image)>(chunk.Length);
            foreach (int i in chunk)
            {
                try
                {
                    decoded.Add((i, image(i)));
                }
                catch (InvalidInputException e) when (skipUnreadable)
                {
                    // A header that reads well can still hold corrupt pixel data.
                    results.Add(new ImageDetections(i, imageId(i), null, e.Message));
                }
            }
            var detections = detector.Detect(decoded.Select(d => d.Image).ToList(), batchSize);
            for (int k = 0; k < decoded.Count; k++)
            {
                var result = new ImageDetections(decoded[k].Index, imageId(decoded[k].Index), detections[k]);
                results.Add(result);
                onImage?.Invoke(result, decoded[k].Image);
            }
            progress?.Invoke(results.Count, indices.Count);
        }
        var position = indices.Select((index, order) => (index, order)).ToDictionary(p => p.index, p => p.order);
        return results.OrderBy(r => position[r.Index]).ToList();
    }

    /// <summary>The COCO results records of all detected images (skipped ones have none).</summary>
    public static List<CocoDetection> ToCoco(IEnumerable<ImageDetections> images) =>
        images.Where(i => i.Objects is not null).SelectMany(i => i.Objects!.Select(o => o.ToCoco(i.ImageId))).ToList();
}
