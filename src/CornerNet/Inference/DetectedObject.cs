using CornerNet.Data;

namespace CornerNet.Inference;

/// <summary>One detected object in image pixels: class (index, dataset category id, name), score and box
/// corners.</summary>
public sealed record DetectedObject(int ClassIndex, int CategoryId, string ClassName, float Score, float X1, float Y1, float X2, float Y2)
{
    /// <summary>Box width in pixels.</summary>
    public float Width => X2 - X1;

    /// <summary>Box height in pixels.</summary>
    public float Height => Y2 - Y1;

    /// <summary>This detection as a COCO results record for image <paramref name="imageId"/> (bbox = x1, y1, width,
    /// height).</summary>
    public CocoDetection ToCoco(long imageId) => new(imageId, CategoryId, new CocoBox(X1, Y1, Width, Height), Score);
}
