namespace CornerNet.Data;

/// <summary>
/// The official <c>_full_image_crop</c> (training without random crops): the image centred in a
/// black square whose side is its longer side, so that resizing keeps its aspect ratio.
/// </summary>
internal static class FullImageCrop
{
    /// <summary>Pads <paramref name="image"/> to a centred square; boxes follow.</summary>
    public static (BgrImage Image, Box[] Boxes) Apply(BgrImage image, IReadOnlyList<Box> boxes)
    {
        int side = Math.Max(image.Width, image.Height);
        var crop = CenteredCrop.Apply(image, image.Width / 2, image.Height / 2, side, side);
        return (crop.Image, crop.MapBoxes(boxes));
    }
}
