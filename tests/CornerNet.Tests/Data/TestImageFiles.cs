using System.Buffers.Binary;
using SkiaSharp;

namespace CornerNet.Tests.Data;

/// <summary>
/// Small encoded images of every format the decoder accepts, for limit and fuzz tests: PNG, JPEG and WebP encoded by
/// SkiaSharp; BMP and GIF (which Skia decodes but does not encode) written here; and headers that claim any size.
/// </summary>
static class TestImageFiles
{
    /// <summary>A noisy gradient of <paramref name="width"/>×<paramref name="height"/> in <paramref name="format"/> (png, jpeg, webp, bmp, gif).</summary>
    public static byte[] Encode(string format, int width = 32, int height = 24, int seed = 0)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)random.Next(256)));
        return format switch
        {
            "png" => Skia(bitmap, SKEncodedImageFormat.Png),
            "jpeg" => Skia(bitmap, SKEncodedImageFormat.Jpeg),
            "webp" => Skia(bitmap, SKEncodedImageFormat.Webp),
            "bmp" => Bmp(bitmap),
            "gif" => Gif(bitmap),
            _ => throw new ArgumentException(format),
        };
    }

    static byte[] Skia(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>24-bit uncompressed bottom-up BMP.</summary>
    static byte[] Bmp(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height, stride = (w * 3 + 3) / 4 * 4;
        var bytes = new byte[54 + stride * h];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, h - 1 - y);
                int o = 54 + y * stride + x * 3;
                bytes[o] = c.Blue; bytes[o + 1] = c.Green; bytes[o + 2] = c.Red;
            }
        return bytes;
    }

    /// <summary>
    /// GIF89a with a 256-grey global palette (the red channel as the index); LZW data of 9-bit literal codes with a clear
    /// code every 250 pixels, so the code width never grows.
    /// </summary>
    static byte[] Gif(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var output = new MemoryStream();
        output.Write("GIF89a"u8);
        void U16(int v) { output.WriteByte((byte)v); output.WriteByte((byte)(v >> 8)); }
        U16(w); U16(h);
        output.WriteByte(0xF7); output.WriteByte(0); output.WriteByte(0);   // global table of 256 entries
        for (int i = 0; i < 256; i++) { output.WriteByte((byte)i); output.WriteByte((byte)i); output.WriteByte((byte)i); }
        output.WriteByte((byte)',');
        U16(0); U16(0); U16(w); U16(h);
        output.WriteByte(0);
        output.WriteByte(8);   // LZW minimum code size
        var codes = new List<int> { 256 };
        int sinceClear = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (sinceClear == 250) { codes.Add(256); sinceClear = 0; }
                codes.Add(bitmap.GetPixel(x, y).Red);
                sinceClear++;
            }
        codes.Add(257);
        var packed = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (int code in codes)
        {
            buffer |= code << bits;
            bits += 9;
            while (bits >= 8) { packed.Add((byte)buffer); buffer >>= 8; bits -= 8; }
        }
        if (bits > 0) packed.Add((byte)buffer);
        for (int i = 0; i < packed.Count; i += 255)
        {
            int n = Math.Min(255, packed.Count - i);
            output.WriteByte((byte)n);
            output.Write(packed.GetRange(i, n).ToArray());
        }
        output.WriteByte(0);
        output.WriteByte((byte)';');
        return output.ToArray();
    }

    /// <summary>A 69-byte-class PNG whose IHDR claims <paramref name="width"/>×<paramref name="height"/> (with a valid CRC) over a few bytes of data.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = TestPng.Build(1, 1, colorType: 2, bitDepth: 8, [[0, 0, 0]]);
        return WithPngSize(png, width, height);
    }

    /// <summary>A PNG with its IHDR width and height replaced and the chunk's CRC recomputed.</summary>
    public static byte[] WithPngSize(byte[] png, int width, int height)
    {
        var bytes = (byte[])png.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), TestPng.Crc32(bytes[12..29]));
        return bytes;
    }

    /// <summary>Where each format's header stores the size: (offset, bytes, big-endian) per field.</summary>
    public static (int Offset, int Bytes, bool BigEndian)[] SizeFields(string format, byte[] encoded) => format switch
    {
        "png" => [(16, 4, true), (20, 4, true)],
        "bmp" => [(18, 4, false), (22, 4, false)],
        "gif" => [(6, 2, false), (8, 2, false), (6 + 7 + 768 + 5, 2, false), (6 + 7 + 768 + 7, 2, false)],
        "jpeg" => JpegSizeFields(encoded),
        _ => [],
    };

    static (int, int, bool)[] JpegSizeFields(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2)
                return [(i + 5, 2, true), (i + 7, 2, true)];
        return [];
    }
}
