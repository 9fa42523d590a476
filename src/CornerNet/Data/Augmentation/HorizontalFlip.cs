namespace CornerNet.Data;

/// <summary>
/// Mirrors an image left to right. Boxes follow the official formula x' = W − x − 1 with x1 and x2
/// swapped, which treats coordinates as pixel indices (the clipped boxes' last pixel is W − 1).
/// </summary>
internal static class HorizontalFlip
{
    /// <summary>Mirrors <paramref name="image"/> in place.</summary>
    public static void ApplyInPlace(BgrImage image)
    {
        var p = image.Pixels;
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * w * 3;
            for (int l = 0, r = w - 1; l < r; l++, r--)
            {
                int a = row + l * 3, b = row + r * 3;
                (p[a], p[b]) = (p[b], p[a]);
                (p[a + 1], p[b + 1]) = (p[b + 1], p[a + 1]);
                (p[a + 2], p[b + 2]) = (p[b + 2], p[a + 2]);
            }
        }
    }

    /// <summary>The boxes of an image of width <paramref name="width"/> after mirroring it.</summary>
    public static Box[] FlipBoxes(IReadOnlyList<Box> boxes, int width)
    {
        var flipped = new Box[boxes.Count];
        for (int i = 0; i < flipped.Length; i++)
        {
            var b = boxes[i];
            flipped[i] = new Box(width - b.X2 - 1, b.Y1, width - b.X1 - 1, b.Y2);
        }
        return flipped;
    }
}
