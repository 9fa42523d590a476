namespace CornerNet.Data;

/// <summary>The official <c>_resize_image</c>: the image resized like <c>cv2.resize</c>, boxes scaled per
/// axis.</summary>
internal static class BoxResize
{
    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/> × <paramref name="height"/> and scales
    /// <paramref name="boxes"/> with it.</summary>
    public static (BgrImage Image, Box[] Boxes) Apply(BgrImage image, IReadOnlyList<Box> boxes, int width, int height)
    {
        var resized = OpenCvResize.Resize(image, width, height);
        // Ratios in float32, as numpy applies a Python float to the float32 detections array.
        float sx = (float)((double)width / image.Width), sy = (float)((double)height / image.Height);
        var scaled = new Box[boxes.Count];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = boxes[i].Scale(sx, sy);
        return (resized, scaled);
    }
}
