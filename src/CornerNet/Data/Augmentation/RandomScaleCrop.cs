namespace CornerNet.Data;

/// <summary>
/// The official training crop (<c>sample/utils.py random_crop</c>): pick a scale s from the list,
/// then a window of int(view × s) pixels centred on a random pixel that stays at least a border
/// away from the image edges (<see cref="Border"/>), zero-padded where it leaves the image.
/// Resizing that window to the view size afterwards scales the image by 1 / s.
/// </summary>
internal static class RandomScaleCrop
{
    /// <summary>
    /// The official <c>_get_border</c>: <paramref name="border"/> halved until it is less than half of
    /// <paramref name="size"/>, so that small images still have a range of centres.
    /// </summary>
    public static int Border(int border, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int i = 1;
        while (size - border / i <= border / i) i *= 2;
        return border / i;
    }

    /// <summary>
    /// Crops <paramref name="image"/> for a view of <paramref name="viewWidth"/> × <paramref name="viewHeight"/>.
    /// Draws from <paramref name="random"/> in the official order: the scale, the centre x, the centre y.
    /// </summary>
    public static (BgrImage Image, Box[] Boxes) Apply(BgrImage image, IReadOnlyList<Box> boxes, IReadOnlyList<double> scales,
        int viewWidth, int viewHeight, int border, Random random)
    {
        if (scales.Count == 0) throw new ArgumentException("no scales to choose from", nameof(scales));
        double scale = scales[random.Next(scales.Count)];
        int height = (int)(viewHeight * scale), width = (int)(viewWidth * scale);
        int wBorder = Border(border, image.Width), hBorder = Border(border, image.Height);
        int centerX = random.Next(wBorder, image.Width - wBorder);
        int centerY = random.Next(hBorder, image.Height - hBorder);
        var crop = CenteredCrop.Apply(image, centerX, centerY, width, height);
        return (crop.Image, crop.MapBoxes(boxes));
    }
}
