using CornerNet.Data;
using SkiaSharp;

namespace CornerNet.Tests.Data;

public class ImageDecoderTests
{
    static BgrImage Gradient(int width, int height)
    {
        var image = new BgrImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                image.Pixels[i] = (byte)(x * 20);
                image.Pixels[i + 1] = (byte)(y * 30);
                image.Pixels[i + 2] = (byte)(100 + x + y);
            }
        return image;
    }

    [Fact]
    public void PngRoundTripKeepsBgrPixels()
    {
        var image = Gradient(7, 5);
        var decoded = ImageDecoder.Decode(ImageEncoder.EncodePng(image), "mem.png");
        Assert.Equal(7, decoded.Width);
        Assert.Equal(5, decoded.Height);
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Fact]
    public void ChannelOrderIsBgr()
    {
        using var bitmap = new SKBitmap(2, 1);
        bitmap.SetPixel(0, 0, new SKColor(255, 0, 0));   // red
        bitmap.SetPixel(1, 0, new SKColor(0, 0, 255));   // blue
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var decoded = ImageDecoder.Decode(data.ToArray(), "rb.png");
        Assert.Equal(new byte[] { 0, 0, 255, 255, 0, 0 }, decoded.Pixels);
    }

    [Fact]
    public void GrayscalePngBecomesThreeEqualChannels()
    {
        var png = TestPng.Build(3, 1, colorType: 0, bitDepth: 8, [[0, 128, 255]]);
        var decoded = ImageDecoder.Decode(png, "gray.png");
        Assert.Equal(new byte[] { 0, 0, 0, 128, 128, 128, 255, 255, 255 }, decoded.Pixels);
    }

    [Fact]
    public void RgbaPngDropsAlphaAndKeepsColour()
    {
        // RGBA 8-bit: an opaque red pixel and a half-transparent green one.
        var png = TestPng.Build(2, 1, colorType: 6, bitDepth: 8, [[255, 0, 0, 255, 0, 200, 0, 128]]);
        var decoded = ImageDecoder.Decode(png, "rgba.png");
        Assert.Equal(new byte[] { 0, 0, 255, 0, 200, 0 }, decoded.Pixels);
    }

    [Fact]
    public void PalettePngUsesPaletteColours()
    {
        byte[] palette = [10, 20, 30, 200, 150, 100];
        var png = TestPng.Build(3, 1, colorType: 3, bitDepth: 8, [[0, 1, 0]], palette);
        var decoded = ImageDecoder.Decode(png, "palette.png");
        Assert.Equal(new byte[] { 30, 20, 10, 100, 150, 200, 30, 20, 10 }, decoded.Pixels);
    }

    [Fact]
    public void SixteenBitPngIsReducedToEightBits()
    {
        // RGB 16-bit big-endian: (0xFFFF, 0x8000, 0x0000).
        var png = TestPng.Build(1, 1, colorType: 2, bitDepth: 16, [[0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00]]);
        var decoded = ImageDecoder.Decode(png, "deep.png");
        Assert.Equal(0, decoded.Pixels[0]);
        Assert.InRange(decoded.Pixels[1], 127, 128);
        Assert.Equal(255, decoded.Pixels[2]);
    }

    [Theory]
    [InlineData(1, 4, 2)]
    [InlineData(3, 4, 2)]
    [InlineData(6, 2, 4)]
    [InlineData(8, 2, 4)]
    public void JpegExifOrientationIsApplied(int orientation, int expectedWidth, int expectedHeight)
    {
        // A 4×2 image whose left half is white and right half black.
        using var bitmap = new SKBitmap(4, 2);
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 4; x++) bitmap.SetPixel(x, y, x < 2 ? SKColors.White : SKColors.Black);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 100);
        var jpeg = TestPng.WithExifOrientation(data.ToArray(), (ushort)orientation);
        var decoded = ImageDecoder.Decode(jpeg, "exif.jpg");
        Assert.Equal(expectedWidth, decoded.Width);
        Assert.Equal(expectedHeight, decoded.Height);
        byte first = decoded.Pixels[0];
        // 1: white at top-left. 3 (180°): black at top-left. 6 (90° clockwise): the white half ends on top.
        // 8 (90° counter-clockwise): the white half ends at the bottom.
        bool whiteFirst = orientation is 1 or 6;
        Assert.Equal(whiteFirst, first > 128);
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.jpg");
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void GarbageBytesAreRejectedWithTheName()
    {
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode("not an image at all"u8.ToArray(), "junk.jpg"));
        Assert.Equal("junk.jpg: not a readable image (JPEG, PNG, BMP, GIF or WebP)", e.Message);
    }

    [Fact]
    public void TruncatedJpegIsRejected()
    {
        var image = Gradient(64, 64);
        using var bitmap = ImageEncoder.ToBitmap(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var bytes = data.ToArray();
        var truncated = bytes.Take(bytes.Length / 2).ToArray();
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(truncated, "half.jpg"));
        Assert.Equal("half.jpg: truncated or corrupt image data", e.Message);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(200)]
    public void TruncatedPngIsRejected(int keep)
    {
        var noisy = new BgrImage(64, 64);
        new Random(1).NextBytes(noisy.Pixels);
        var png = ImageEncoder.EncodePng(noisy);
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(png.Take(keep).ToArray(), "cut.png"));
        Assert.Contains(e.Message, new[] { "cut.png: truncated image file", "cut.png: truncated or corrupt image data" });
    }

    [Fact]
    public void SavePngWritesAtomicallyAndReadsBack()
    {
        string dir = Directory.CreateTempSubdirectory("png-").FullName;
        try
        {
            var image = Gradient(5, 3);
            string path = Path.Combine(dir, "a.png");
            ImageEncoder.SavePng(image, path);
            Assert.Equal(image.Pixels, ImageDecoder.Decode(path).Pixels);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}
