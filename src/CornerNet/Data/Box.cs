namespace CornerNet.Data;

/// <summary>
/// An axis-aligned box in pixel coordinates: top-left (<see cref="X1"/>, <see cref="Y1"/>) and
/// bottom-right (<see cref="X2"/>, <see cref="Y2"/>), as the official sampler stores detections
/// (COCO's [x, y, w, h] becomes x1 = x, y1 = y, x2 = x + w, y2 = y + h).
/// </summary>
public readonly record struct Box(float X1, float Y1, float X2, float Y2)
{
    /// <summary>X2 − X1.</summary>
    public float Width => X2 - X1;

    /// <summary>Y2 − Y1.</summary>
    public float Height => Y2 - Y1;

    /// <summary>The box moved by (<paramref name="dx"/>, <paramref name="dy"/>).</summary>
    public Box Shift(float dx, float dy) => new(X1 + dx, Y1 + dy, X2 + dx, Y2 + dy);

    /// <summary>The box with x scaled by <paramref name="sx"/> and y by <paramref name="sy"/>.</summary>
    public Box Scale(float sx, float sy) => new(X1 * sx, Y1 * sy, X2 * sx, Y2 * sy);
}
