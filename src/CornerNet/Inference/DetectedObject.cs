namespace CornerNet.Inference;

/// <summary>One detected object in image pixels: class (index, dataset category id, name), score and box corners.</summary>
public sealed record DetectedObject(int ClassIndex, int CategoryId, string ClassName, float Score, float X1, float Y1, float X2, float Y2)
{
    /// <summary>Box width in pixels.</summary>
    public float Width => X2 - X1;

    /// <summary>Box height in pixels.</summary>
    public float Height => Y2 - Y1;
}
