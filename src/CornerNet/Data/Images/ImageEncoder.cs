using System.Runtime.InteropServices;
using SkiaSharp;

namespace CornerNet.Data;

/// <summary>Encodes a <see cref="BgrImage"/> as PNG (for debugging, drawn detections and the synthetic
/// dataset).</summary>
internal static class ImageEncoder
{
    /// <summary>The PNG encoding of <paramref name="image"/> (8-bit RGB, opaque).</summary>
    public static byte[] EncodePng(BgrImage image)
    {
        using var bitmap = ToBitmap(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> as a PNG file, through a temporary file renamed into place.</summary>
    public static void SavePng(BgrImage image, string path)
    {
        AtomicFile.WriteAllBytes(path, EncodePng(image));
    }

    /// <summary>An opaque SkiaSharp bitmap holding a copy of <paramref name="image"/> (for drawing on it).</summary>
    public static SKBitmap ToBitmap(BgrImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        var bitmap = new SKBitmap(info);
        var bgra = new byte[info.BytesSize];
        int rowBytes = info.RowBytes;
        for (int y = 0; y < image.Height; y++)
        {
            int s = y * image.Width * 3, d = y * rowBytes;
            for (int x = 0; x < image.Width; x++, s += 3, d += 4)
            {
                bgra[d] = image.Pixels[s];
                bgra[d + 1] = image.Pixels[s + 1];
                bgra[d + 2] = image.Pixels[s + 2];
                bgra[d + 3] = 255;
            }
        }
        Marshal.Copy(bgra, 0, bitmap.GetPixels(), bgra.Length);
        return bitmap;
    }

    /// <summary>The pixels of an SkiaSharp bitmap (any colour type) as a <see cref="BgrImage"/>; alpha is
    /// dropped.</summary>
    public static BgrImage FromBitmap(SKBitmap bitmap)
    {
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Bgra8888, SKAlphaType.Unpremul);
        var bgra = new byte[info.BytesSize];
        var handle = GCHandle.Alloc(bgra, GCHandleType.Pinned);
        try
        {
            using var pixmap = bitmap.PeekPixels();
            if (pixmap is null || !pixmap.ReadPixels(info, handle.AddrOfPinnedObject(), info.RowBytes, 0, 0))
                throw new InvalidOperationException("SkiaSharp could not read the bitmap's pixels");
        }
        finally
        {
            handle.Free();
        }
        var bgr = new byte[bitmap.Width * bitmap.Height * 3];
        for (int p = 0, s = 0, d = 0; p < bitmap.Width * bitmap.Height; p++, s += 4, d += 3)
        {
            bgr[d] = bgra[s];
            bgr[d + 1] = bgra[s + 1];
            bgr[d + 2] = bgra[s + 2];
        }
        return new BgrImage(bitmap.Width, bitmap.Height, bgr);
    }
}
