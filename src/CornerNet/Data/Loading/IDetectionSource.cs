namespace CornerNet.Data;

/// <summary>
/// A collection of annotated training images that <see cref="DetectionLoader"/> reads from
/// (a COCO dataset, the synthetic shapes, a test fixture). <see cref="Load"/> is called from several
/// worker threads at once and must be safe for that.
/// </summary>
public interface IDetectionSource
{
    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>
    /// Decodes image <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>) with its boxes
    /// (x1, y1, x2, y2 in its pixels) and contiguous class indices.
    /// </summary>
    /// <exception cref="InvalidInputException">The image file is missing or corrupt.</exception>
    LabeledImage Load(int index);
}

/// <summary>An image with its objects: boxes (x1, y1, x2, y2 in pixels) and their class indices, aligned.</summary>
public sealed record LabeledImage(BgrImage Image, Box[] Boxes, int[] Classes);
