namespace CornerNet.Inference;

/// <summary>An 8-bit image in OpenCV's memory order: rows top to bottom, pixels left to right, channels B, G, R.</summary>
public sealed record BgrImage
{
    /// <summary>Wraps <paramref name="pixels"/> (height·width·3 bytes, not copied).</summary>
    public BgrImage(byte[] pixels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1, nameof(height));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(width));
        if (pixels.LongLength != (long)height * width * 3)
            throw new ArgumentException($"a {height}×{width} BGR image needs {(long)height * width * 3} bytes, got {pixels.LongLength}", nameof(pixels));
        Pixels = pixels;
        Height = height;
        Width = width;
    }

    /// <summary>Height·width·3 bytes, HWC, BGR.</summary>
    public byte[] Pixels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }
}
