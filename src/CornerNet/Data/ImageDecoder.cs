using System.Runtime.InteropServices;
using SkiaSharp;

namespace CornerNet.Data;

/// <summary>
/// Decodes JPEG and PNG files (8-bit, 16-bit, grayscale, RGBA, palette) to a <see cref="BgrImage"/>
/// with SkiaSharp. The EXIF orientation is applied, as OpenCV's <c>imread</c> does for the official
/// code; an alpha channel is dropped (the colour values are kept unpremultiplied, as <c>imread</c>
/// does); 16-bit samples are reduced to 8 bits.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes the image file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable or not a decodable image.</exception>
    public static BgrImage Decode(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException(path, e is FileNotFoundException or DirectoryNotFoundException
                ? "image file not found" : $"cannot read image file ({e.Message})", e);
        }
        return Decode(data, path);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="InvalidInputException">The bytes are not a decodable image.</exception>
    public static BgrImage Decode(byte[] encoded, string name)
    {
        using var stream = new SKMemoryStream(encoded);
        using var codec = SKCodec.Create(stream, out SKCodecResult created);
        if (codec is null)
            throw new InvalidInputException(name, created == SKCodecResult.IncompleteInput
                ? "truncated image file" : "not a readable JPEG or PNG image");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidInputException(name, $"image has no pixels ({info.Width}×{info.Height})");
        var bgra = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(bgra, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        // IncompleteInput: a truncated file. Skia fills the rest, but a training set should not
        // silently learn from half-grey images, so it is an error like any other corruption.
        if (result != SKCodecResult.Success)
            throw new InvalidInputException(name, "truncated or corrupt image data");
        var bgr = DropAlpha(bgra, info.Width, info.Height, info.RowBytes);
        return Orient(bgr, codec.EncodedOrigin);
    }

    static BgrImage DropAlpha(byte[] bgra, int width, int height, int rowBytes)
    {
        var bgr = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int s = y * rowBytes, d = y * width * 3;
            for (int x = 0; x < width; x++, s += 4, d += 3)
            {
                bgr[d] = bgra[s];
                bgr[d + 1] = bgra[s + 1];
                bgr[d + 2] = bgra[s + 2];
            }
        }
        return new BgrImage(width, height, bgr);
    }

    /// <summary>Applies an EXIF orientation so that the result is upright (as displayed).</summary>
    static BgrImage Orient(BgrImage stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft) return stored;
        int w = stored.Width, h = stored.Height;
        bool transposed = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = transposed ? h : w, oh = transposed ? w : h;
        var output = new byte[stored.Pixels.Length];
        var src = stored.Pixels;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                (int ox, int oy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (h - 1 - y, x),
                    SKEncodedOrigin.RightBottom => (h - 1 - y, w - 1 - x),
                    SKEncodedOrigin.LeftBottom => (y, w - 1 - x),
                    _ => (x, y),
                };
                int s = (y * w + x) * 3, d = (oy * ow + ox) * 3;
                output[d] = src[s];
                output[d + 1] = src[s + 1];
                output[d + 2] = src[s + 2];
            }
        }
        return new BgrImage(ow, oh, output);
    }
}
