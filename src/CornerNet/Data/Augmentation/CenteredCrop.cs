namespace CornerNet.Data;

/// <summary>
/// The official <c>crop_image</c>: a <c>width × height</c> window of the image centred on a source
/// pixel, zero (black) where the window leaves the image. Pixel (x, y) of the source lands at
/// (x − <see cref="OffsetX"/>, y − <see cref="OffsetY"/>) of the crop; boxes move the same way.
/// </summary>
internal sealed record CenteredCrop(BgrImage Image, int OffsetX, int OffsetY)
{
    /// <summary>Crops <paramref name="image"/> to <paramref name="width"/> × <paramref name="height"/> around
    /// (<paramref name="centerX"/>, <paramref name="centerY"/>).</summary>
    public static CenteredCrop Apply(BgrImage image, int centerX, int centerY, int width, int height)
    {
        var cropped = new BgrImage(width, height);
        int x0 = Math.Max(0, centerX - width / 2), x1 = Math.Min(centerX + width / 2, image.Width);
        int y0 = Math.Max(0, centerY - height / 2), y1 = Math.Min(centerY + height / 2, image.Height);
        // Destination of source column x0 / row y0 inside the crop.
        int left = width / 2 - (centerX - x0), top = height / 2 - (centerY - y0);
        int rowBytes = (x1 - x0) * 3;
        if (rowBytes > 0)
        {
            for (int y = y0; y < y1; y++)
                Array.Copy(image.Pixels, (y * image.Width + x0) * 3, cropped.Pixels, ((top + y - y0) * width + left) * 3, rowBytes);
        }
        return new CenteredCrop(cropped, centerX - width / 2, centerY - height / 2);
    }

    /// <summary>Moves <paramref name="boxes"/> from source to crop coordinates.</summary>
    public Box[] MapBoxes(IReadOnlyList<Box> boxes)
    {
        var mapped = new Box[boxes.Count];
        for (int i = 0; i < mapped.Length; i++) mapped[i] = boxes[i].Shift(-OffsetX, -OffsetY);
        return mapped;
    }
}
