namespace CornerNet.Data;

/// <summary>A COCO box: top-left corner and size, in pixels (<c>bbox: [x, y, w, h]</c>).</summary>
public readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    /// <summary>Width times height (what pycocotools uses as a detection's area).</summary>
    public double Area => Width * Height;
}
