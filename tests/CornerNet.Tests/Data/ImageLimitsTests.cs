using System.Buffers.Binary;
using CornerNet.Data;

namespace CornerNet.Tests.Data;

/// <summary>Image sizes are checked from the header, before any pixel memory is allocated, for every accepted format.</summary>
public class ImageLimitsTests
{
    [Theory]
    [InlineData(33000, 33000)]   // once a native heap overflow (the int buffer size wrapped)
    [InlineData(30000, 30000)]   // once an OverflowException trace
    [InlineData(20000, 20000)]   // within the side limit, above the pixel limit
    [InlineData(1, 40000)]
    [InlineData(60000, 2000)]
    public void PngHeaderClaimingAHugeImageIsRefused(int width, int height)
    {
        var png = TestImageFiles.PngClaiming(width, height);
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(png, "huge.png"));
        Assert.StartsWith("huge.png: image is ", e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("gif")]
    [InlineData("jpeg")]
    public void EveryFormatChecksItsHeaderSize(string format)
    {
        var encoded = TestImageFiles.Encode(format);
        var fields = TestImageFiles.SizeFields(format, encoded);
        Assert.NotEmpty(fields);
        foreach (var (offset, bytes, bigEndian) in fields)
        {
            var span = encoded.AsSpan(offset, bytes);
            if (bytes == 2) { if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(span, 60000); else BinaryPrimitives.WriteUInt16LittleEndian(span, 60000); }
            else if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(span, 60000); else BinaryPrimitives.WriteInt32LittleEndian(span, 60000);
        }
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(encoded, $"huge.{format}"));
        Assert.Contains("limit", e.Message);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    [InlineData("bmp")]
    [InlineData("gif")]
    public void LimitsAreOverridableAndHeadersReadWithoutDecoding(string format)
    {
        string dir = Directory.CreateTempSubdirectory("limits-").FullName;
        try
        {
            string path = Path.Combine(dir, "a." + format);
            File.WriteAllBytes(path, TestImageFiles.Encode(format, 40, 30));
            var header = ImageDecoder.ReadHeader(path);
            Assert.Equal((40, 30), (header.Width, header.Height));
            Assert.Equal(40, ImageDecoder.Decode(path).Width);
            var small = new InputLimits { MaxImagePixels = 1000 };
            var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.ReadHeader(path, small));
            Assert.Equal(path, e.FilePath);
            Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(path, small));
            Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(path, new InputLimits { MaxImageSide = 39 }));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void HeaderCheckFindsATruncatedFile(string format)
    {
        string dir = Directory.CreateTempSubdirectory("truncated-").FullName;
        try
        {
            var whole = TestImageFiles.Encode(format, 64, 48, seed: 3);
            string path = Path.Combine(dir, "a." + format);
            File.WriteAllBytes(path, whole);
            ImageDecoder.ReadHeader(path);
            File.WriteAllBytes(path, whole[..(whole.Length * 2 / 3)]);
            var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.ReadHeader(path));
            Assert.StartsWith($"{path}: truncated image file", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
