namespace CornerNet.Data;

/// <summary>What an image file's header says: its stored size (before any EXIF rotation) and its format.</summary>
/// <param name="Width">Stored width in pixels.</param>
/// <param name="Height">Stored height in pixels.</param>
/// <param name="Format">The format: JPEG, PNG, BMP, GIF or WebP.</param>
internal sealed record ImageHeader(int Width, int Height, string Format)
{
    /// <summary>Width × height, in 64-bit arithmetic.</summary>
    public long Pixels => (long)Width * Height;
}
