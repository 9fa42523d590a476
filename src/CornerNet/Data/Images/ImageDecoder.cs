using System.Runtime.InteropServices;
using SkiaSharp;

namespace CornerNet.Data;

/// <summary>
/// Decodes JPEG, PNG (8-bit, 16-bit, grayscale, RGBA, palette), BMP, GIF (first frame) and WebP files to a
/// <see cref="BgrImage"/> with SkiaSharp. The EXIF orientation is applied, as OpenCV's <c>imread</c> does for the
/// official code; an alpha channel is dropped (the colour values are kept unpremultiplied, as <c>imread</c> does);
/// 16-bit samples are reduced to 8 bits. The size in the header is checked against <see cref="InputLimits"/> before
/// any pixel memory is allocated, so a small file that claims a huge image is refused, not decoded.
/// </summary>
public static class ImageDecoder
{
    /// <summary>The formats decoded, as named in messages.</summary>
    public const string AcceptedFormats = "JPEG, PNG, BMP, GIF or WebP";

    /// <summary>Decodes the image file at <paramref name="path"/> within <paramref name="limits"/> (default
    /// <see cref="InputLimits.Default"/>).</summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable, beyond the limits or not a decodable
    /// image.</exception>
    public static BgrImage Decode(string path, InputLimits? limits = null) => InputFile.Reading(path, () =>
    {
        byte[] data;
        try
        {
            data = InputFile.ReadAllBytes(path, Array.MaxLength, "the largest .NET array");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
        return Decode(data, path, limits);
    });

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="InvalidInputException">The bytes are beyond the limits or not a decodable image.</exception>
    public static BgrImage Decode(byte[] encoded, string name, InputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        using var stream = new SKMemoryStream(encoded);
        using var codec = OpenCodec(SKCodec.Create(stream, out SKCodecResult created), created, name, limits, out _);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul);
        // Sizes in 64-bit arithmetic: SKImageInfo.BytesSize is an int and wraps for large images.
        var bgra = new byte[(long)info.Width * 4 * info.Height];
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
        var bgr = DropAlpha(bgra, info.Width, info.Height, info.Width * 4);
        return Orient(bgr, codec.EncodedOrigin);
    }

    /// <summary>
    /// Reads only the header of the image file at <paramref name="path"/> and checks it against
    /// <paramref name="limits"/>
    /// (default <see cref="InputLimits.Default"/>): fast, for checking a dataset before a long run. Corrupt pixel data
    /// after a valid header is found only by <see cref="Decode(string, InputLimits?)"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">The file is missing, unreadable, beyond the limits or not an image of an
    /// accepted format.</exception>
    internal static ImageHeader ReadHeader(string path, InputLimits? limits = null)
    {
        try
        {
            using var file = InputFile.OpenRead(path);
            using var stream = new SKManagedStream(file);
            using var codec = OpenCodec(SKCodec.Create(stream, out SKCodecResult created), created, path, limits, out string format);
            if (MissingEnd(file, format) is string problem) throw new InvalidInputException(path, problem);
            return new ImageHeader(codec.Info.Width, codec.Info.Height, format);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    /// <summary>
    /// Why the file is cut short, from its end alone (cheap: the commonest corruption is a truncated copy or download),
    /// or null. PNG must hold its IEND chunk and JPEG its end-of-image marker near the end; WebP's RIFF size must fit
    /// in the file. Other formats, and corruption inside the data, are found by decoding.
    /// </summary>
    static string? MissingEnd(FileStream file, string format)
    {
        long length = file.Length;
        if (format == "WebP")
        {
            var riff = new byte[8];
            file.Position = 0;
            file.ReadExactly(riff);
            long size = BitConverter.ToUInt32(riff, 4) + 8L;
            return size > length ? $"truncated image file ({length} of the {size} bytes its header announces)" : null;
        }
        if (format is not ("PNG" or "JPEG")) return null;
        int tail = (int)Math.Min(length, 4096);
        var end = new byte[tail];
        file.Position = length - tail;
        file.ReadExactly(end);
        bool found = format == "PNG" ? end.AsSpan().IndexOf("IEND"u8) >= 0 : end.AsSpan().IndexOf([(byte)0xFF, (byte)0xD9]) >= 0;
        return found ? null : $"truncated image file (no {(format == "PNG" ? "IEND chunk" : "end-of-image marker")} at its end)";
    }

    static InvalidInputException Unreadable(string path, Exception e) =>
        new(path, e is FileNotFoundException or DirectoryNotFoundException ? "image file not found" : $"cannot read image file ({e.Message})", e);

    /// <summary>The codec, checked: an accepted format and a size within the limits (nothing is decoded yet).</summary>
    static SKCodec OpenCodec(SKCodec? codec, SKCodecResult created, string name, InputLimits? limits, out string format)
    {
        if (codec is null)
            throw new InvalidInputException(name, created == SKCodecResult.IncompleteInput
                ? "truncated image file" : $"not a readable image ({AcceptedFormats})");
        try
        {
            format = codec.EncodedFormat switch
            {
                SKEncodedImageFormat.Jpeg => "JPEG",
                SKEncodedImageFormat.Png => "PNG",
                SKEncodedImageFormat.Bmp => "BMP",
                SKEncodedImageFormat.Gif => "GIF",
                SKEncodedImageFormat.Webp => "WebP",
                var other => throw new InvalidInputException(name, $"{other.ToString().ToUpperInvariant()} images are not supported ({AcceptedFormats})"),
            };
            CheckSize(codec.Info.Width, codec.Info.Height, name, limits ?? InputLimits.Default);
            return codec;
        }
        catch
        {
            codec.Dispose();
            throw;
        }
    }

    /// <summary>Throws when a <paramref name="width"/>×<paramref name="height"/> image is empty or beyond
    /// <paramref name="limits"/>.</summary>
    internal static void CheckSize(long width, long height, string name, InputLimits limits)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidInputException(name, $"image has no pixels ({width}×{height})");
        long side = Math.Max(width, height), pixels = width * height;
        if (side > limits.MaxImageSide)
            throw new InvalidInputException(name, $"image is {width}×{height}: its {side}-pixel side is above the limit of {limits.MaxImageSide} (InputLimits.MaxImageSide)");
        if (pixels > limits.MaxImagePixels)
            throw new InvalidInputException(name, $"image is {width}×{height} = {Megapixels(pixels)} megapixels, " +
                $"above the limit of {Megapixels(limits.MaxImagePixels)}; raise --max-image-megapixels " +
                "(InputLimits.MaxImagePixels) to accept it");
        // Whatever the limits say, the 4-byte decoding buffer must fit in one .NET array.
        if (pixels * 4 > Array.MaxLength || width * 4 > int.MaxValue)
            throw new InvalidInputException(name, $"image is {width}×{height}: {pixels * 4} bytes to decode, more than one buffer can hold");
    }

    /// <summary><paramref name="pixels"/> in megapixels with the decimals that matter: 24.58, 0.016384,
    /// 0.0001.</summary>
    internal static string Megapixels(long pixels) => (pixels / 1e6).ToString(pixels >= 1_000_000 ? "0.##" : "0.######",
        System.Globalization.CultureInfo.InvariantCulture);

    static BgrImage DropAlpha(byte[] bgra, int width, int height, int rowBytes)
    {
        var bgr = new byte[(long)width * height * 3];
        for (int y = 0; y < height; y++)
        {
            long s = (long)y * rowBytes, d = (long)y * width * 3;
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
                long s = ((long)y * w + x) * 3, d = ((long)oy * ow + ox) * 3;
                output[d] = src[s];
                output[d + 1] = src[s + 1];
                output[d + 2] = src[s + 2];
            }
        }
        return new BgrImage(ow, oh, output);
    }
}
