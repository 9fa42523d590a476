namespace CornerNet.Data;

/// <summary>
/// An 8-bit colour image in memory: rows top to bottom, pixels left to right, channels in
/// <b>BGR</b> order (height × width × 3, interleaved). BGR is the order the official CornerNet
/// is trained and tested on (OpenCV's order), so official weights and mean/std apply unchanged.
/// </summary>
public sealed class BgrImage
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels, <c>Height × Width × 3</c> bytes, BGR interleaved.</summary>
    public byte[] Pixels { get; }

    /// <summary>Wraps <paramref name="pixels"/> (not copied); its length must be <c>height × width × 3</c>.</summary>
    public BgrImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}×{height}×3, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>A black image of the given size.</summary>
    public BgrImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    /// <summary>A deep copy.</summary>
    public BgrImage Clone() => new(Width, Height, (byte[])Pixels.Clone());
}
