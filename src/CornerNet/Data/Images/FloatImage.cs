namespace CornerNet.Data;

/// <summary>
/// A float32 BGR image, height × width × 3 interleaved, as the official sampler holds it after
/// <c>image.astype(np.float32) / 255</c>: values in [0, 1] before colour augmentation.
/// </summary>
internal sealed class FloatImage
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The values, <c>Height × Width × 3</c>, BGR interleaved.</summary>
    public float[] Pixels { get; }

    /// <summary>Wraps <paramref name="pixels"/> (not copied); its length must be <c>height × width × 3</c>.</summary>
    public FloatImage(int width, int height, float[] pixels)
    {
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} values for {width}×{height}×3, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    // b / 255f for every byte value: the exact float32 quotients, without a division per pixel.
    static readonly float[] Scaled = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>The image scaled to [0, 1]: each byte divided by 255 in float32.</summary>
    public static FloatImage FromBytes(BgrImage image)
    {
        var values = new float[image.Pixels.Length];
        var bytes = image.Pixels;
        for (int i = 0; i < values.Length; i++) values[i] = Scaled[bytes[i]];
        return new FloatImage(image.Width, image.Height, values);
    }
}
