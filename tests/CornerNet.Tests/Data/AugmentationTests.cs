using CornerNet.Data;

namespace CornerNet.Tests.Data;

public class AugmentationTests
{
    const byte Background = 60, Fill = 220;

    /// <summary>A grey image with one filled rectangle covering columns x1..x2−1 and rows y1..y2−1.</summary>
    static (BgrImage Image, Box Box) Rectangle(int width, int height, int x1, int y1, int x2, int y2)
    {
        var image = new BgrImage(width, height);
        Array.Fill(image.Pixels, Background);
        for (int y = y1; y < y2; y++)
            for (int x = x1; x < x2; x++)
                for (int c = 0; c < 3; c++) image.Pixels[(y * width + x) * 3 + c] = Fill;
        return (image, new Box(x1, y1, x2, y2));
    }

    /// <summary>Extent (x1, y1, x2, y2 exclusive) of the pixels whose first channel passes <paramref name="isObject"/>, or null.</summary>
    static Box? PixelExtent(BgrImage image, Func<byte, bool> isObject)
    {
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (isObject(image.Pixels[(y * image.Width + x) * 3]))
                {
                    x1 = Math.Min(x1, x); y1 = Math.Min(y1, y); x2 = Math.Max(x2, x + 1); y2 = Math.Max(y2, y + 1);
                }
        return x2 < 0 ? null : new Box(x1, y1, x2, y2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomCropMovesPixelsAndBoxesTogether(int seed)
    {
        var (image, box) = Rectangle(300, 200, 100, 50, 180, 120);
        var (cropped, boxes) = RandomScaleCrop.Apply(image, [box], AugmentationOptions.OfficialScales, 120, 120, 128, new Random(seed));
        var extent = PixelExtent(cropped, v => v == Fill);
        if (extent is null)
        {
            // The rectangle left the window: its box must be entirely outside too.
            var b = boxes[0];
            Assert.True(b.X2 <= 0 || b.Y2 <= 0 || b.X1 >= cropped.Width || b.Y1 >= cropped.Height);
            return;
        }
        // Crops move by whole pixels: the visible pixels are exactly the box clipped to the window.
        var clipped = new Box(Math.Max(0, boxes[0].X1), Math.Max(0, boxes[0].Y1),
            Math.Min(cropped.Width, boxes[0].X2), Math.Min(cropped.Height, boxes[0].Y2));
        Assert.Equal(clipped, extent.Value);
    }

    [Fact]
    public void CropCentreKeepsAwayFromTheBorder()
    {
        Assert.Equal(128, RandomScaleCrop.Border(128, 511));
        Assert.Equal(64, RandomScaleCrop.Border(128, 256));
        Assert.Equal(32, RandomScaleCrop.Border(128, 128));
        Assert.Equal(32, RandomScaleCrop.Border(128, 100));
        Assert.Equal(0, RandomScaleCrop.Border(128, 1));
    }

    [Fact]
    public void OfficialScalesAreSixTenthsToThirteenTenths()
    {
        Assert.Equal(8, AugmentationOptions.OfficialScales.Count);
        Assert.Equal(0.6, AugmentationOptions.OfficialScales[0], 12);
        Assert.Equal(1.3, AugmentationOptions.OfficialScales[^1], 12);
    }

    [Fact]
    public void FullImageCropCentresTheImageInASquare()
    {
        var (image, box) = Rectangle(40, 20, 0, 0, 40, 20);
        var (square, boxes) = FullImageCrop.Apply(image, [box]);
        Assert.Equal(40, square.Width);
        Assert.Equal(40, square.Height);
        Assert.Equal(new Box(0, 10, 40, 30), boxes[0]);
        Assert.Equal(boxes[0], PixelExtent(square, v => v == Fill));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void ScaledCroppedFlippedRectangleStaysInsideItsBox(int seed)
    {
        var (image, box) = Rectangle(320, 240, 90, 60, 200, 170);
        var builder = new TrainingSampleBuilder(new AugmentationOptions
        {
            InputWidth = 127, InputHeight = 127, ColorJitter = false, Lighting = false,
            Normalization = new ImageNormalization([0, 0, 0], [1 / 255f, 1 / 255f, 1 / 255f]),
        });
        var sample = builder.Build(image, [box], [3], new Random(seed));
        // Undo the identity-like normalisation (x·255) to get bytes back: first channel plane.
        var output = new BgrImage(127, 127);
        for (int p = 0; p < 127 * 127; p++)
            output.Pixels[p * 3] = (byte)Math.Clamp(Math.Round(sample.Input[p]), 0, 255);
        var inside = PixelExtent(output, v => v > (Background + Fill) / 2);
        if (sample.Boxes.Length == 0) { Assert.Null(inside); return; }
        Assert.Equal(new[] { 3 }, sample.Classes);
        Assert.NotNull(inside);
        var b = sample.Boxes[0];
        var e = inside.Value;
        // Resampling blurs edges by about a pixel and the official flip (W − x − 1) shifts boxes by one.
        const float slack = 2f;
        Assert.InRange(e.X1, b.X1 - slack, b.X2);
        Assert.InRange(e.X2, b.X1, b.X2 + slack);
        Assert.InRange(e.Y1, b.Y1 - slack, b.Y2);
        Assert.InRange(e.Y2, b.Y1, b.Y2 + slack);
        // And the box is not larger than the pixels (except where clipping to [0, W − 1] cut it).
        Assert.InRange(b.X1, e.X1 - slack, e.X1 + slack);
        Assert.InRange(b.Y1, e.Y1 - slack, e.Y1 + slack);
    }

    [Fact]
    public void FlippingTwiceIsIdentity()
    {
        var (image, box) = Rectangle(31, 17, 3, 4, 10, 12);
        image.Pixels[5] = 7;
        var original = image.Clone();
        HorizontalFlip.ApplyInPlace(image);
        Assert.NotEqual(original.Pixels, image.Pixels);
        HorizontalFlip.ApplyInPlace(image);
        Assert.Equal(original.Pixels, image.Pixels);
        var boxes = HorizontalFlip.FlipBoxes(HorizontalFlip.FlipBoxes([box], 31), 31);
        Assert.Equal(box, boxes[0]);
    }

    [Fact]
    public void FlipMirrorsPixelsAndUsesTheOfficialBoxFormula()
    {
        var image = new BgrImage(4, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        HorizontalFlip.ApplyInPlace(image);
        Assert.Equal(new byte[] { 10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3 }, image.Pixels);
        Assert.Equal(new Box(100 - 30 - 1, 5, 100 - 10 - 1, 6), HorizontalFlip.FlipBoxes([new Box(10, 5, 30, 6)], 100)[0]);
    }

    [Fact]
    public void ClippingClampsToTheLastPixelAndDropsEmptyBoxes()
    {
        var (boxes, classes) = BoxClipping.Apply(
            [new Box(-5, -5, 200, 50), new Box(120, 10, 140, 20), new Box(10, 10, 10, 30)], [1, 2, 3], 100, 80);
        Assert.Equal(new[] { new Box(0, 0, 99, 50) }, boxes);
        Assert.Equal(new[] { 1 }, classes);
    }

    [Fact]
    public void ResizeScalesBoxesPerAxis()
    {
        var (image, box) = Rectangle(40, 20, 10, 5, 30, 15);
        var (resized, boxes) = BoxResize.Apply(image, [box], 80, 10);
        Assert.Equal(80, resized.Width);
        Assert.Equal(10, resized.Height);
        Assert.Equal(new Box(20, 2.5f, 60, 7.5f), boxes[0]);
    }

    [Fact]
    public void NormalisationSubtractsMeanDividesStdAndGoesChannelFirst()
    {
        var image = new BgrImage(2, 1, [255, 0, 128, 0, 51, 255]);
        var chw = ImageNormalization.Coco.ToChw(FloatImage.FromBytes(image));
        float[] expected =
        [
            (1f - 0.40789654f) / 0.28863828f, (0f - 0.40789654f) / 0.28863828f,           // B plane
            (0f - 0.44719302f) / 0.27408164f, (51f / 255f - 0.44719302f) / 0.27408164f,   // G plane
            (128f / 255f - 0.47026115f) / 0.27809835f, (1f - 0.47026115f) / 0.27809835f,  // R plane
        ];
        Assert.Equal(expected.Length, chw.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], chw[i], 6);
    }

    [Fact]
    public void ColourAdjustmentsFollowTheOfficialFormulas()
    {
        var image = new FloatImage(1, 1, [0.2f, 0.4f, 0.6f]);
        var gray = ColorJitter.Grayscale(image);
        Assert.Equal(0.2f * 0.114f + 0.4f * 0.587f + 0.6f * 0.299f, gray[0], 6);

        var bright = new FloatImage(1, 1, [0.2f, 0.4f, 0.6f]);
        ColorJitter.Apply(bright, ColorJitter.Adjustment.Brightness, 1.5f, gray, 0.3f);
        Assert.Equal(new[] { 0.3f, 0.6f, 0.9f }, bright.Pixels.Select(v => MathF.Round(v, 5)));

        var contrast = new FloatImage(1, 1, [0.2f, 0.4f, 0.6f]);
        ColorJitter.Apply(contrast, ColorJitter.Adjustment.Contrast, 0.5f, gray, 0.3f);
        Assert.Equal(new[] { 0.25f, 0.35f, 0.45f }, contrast.Pixels.Select(v => MathF.Round(v, 5)));

        // Saturation with α = 0 gives the grey level in every channel.
        var desaturated = new FloatImage(1, 1, [0.2f, 0.4f, 0.6f]);
        ColorJitter.Apply(desaturated, ColorJitter.Adjustment.Saturation, 0f, gray, 0.3f);
        Assert.All(desaturated.Pixels, v => Assert.Equal(gray[0], v, 6));
    }

    [Fact]
    public void ColourJitterFactorsStayWithinTheOfficialRange()
    {
        // Brightness alone is hard to isolate, but on a grey image every adjustment is a scaling
        // about the mean or the identity, so the result stays within [0.6³, 1.4³] of the input.
        for (int seed = 0; seed < 20; seed++)
        {
            var image = new FloatImage(2, 1, [0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f]);
            ColorJitter.ApplyInPlace(image, new Random(seed));
            Assert.All(image.Pixels, v => Assert.InRange(v, 0.5f * 0.6f * 0.6f * 0.6f - 1e-4f, 0.5f * 1.4f * 1.4f * 1.4f + 1e-4f));
        }
    }

    [Fact]
    public void LightingAddsTheEigenvectorCombinationToEveryPixel()
    {
        var shift = PcaLighting.Shift([1.0, 0, 0]);
        var vectors = PcaLighting.EigenVectors;
        for (int c = 0; c < 3; c++) Assert.Equal(vectors[c, 0] * PcaLighting.EigenValues[0], shift[c], 6);

        var image = new FloatImage(2, 1, [0.1f, 0.2f, 0.3f, 0.7f, 0.8f, 0.9f]);
        PcaLighting.ApplyInPlace(image, new Random(3));
        var delta0 = new[] { image.Pixels[0] - 0.1f, image.Pixels[1] - 0.2f, image.Pixels[2] - 0.3f };
        var delta1 = new[] { image.Pixels[3] - 0.7f, image.Pixels[4] - 0.8f, image.Pixels[5] - 0.9f };
        for (int c = 0; c < 3; c++) Assert.Equal(delta0[c], delta1[c], 5);
        Assert.Contains(delta0, d => Math.Abs(d) > 1e-6);
    }

    [Fact]
    public void BuilderIsDeterministicForASeedAndLeavesTheInputAlone()
    {
        var (image, box) = Rectangle(200, 150, 40, 30, 120, 100);
        var before = (byte[])image.Pixels.Clone();
        var builder = new TrainingSampleBuilder(new AugmentationOptions { InputWidth = 63, InputHeight = 63 });
        var a = builder.Build(image, [box], [0], new Random(11));
        var b = builder.Build(image, [box], [0], new Random(11));
        var c = builder.Build(image, [box], [0], new Random(12));
        Assert.Equal(a.Input, b.Input);
        Assert.Equal(a.Boxes, b.Boxes);
        Assert.NotEqual(a.Input, c.Input);
        Assert.Equal(before, image.Pixels);
        Assert.Equal(3 * 63 * 63, a.Input.Length);
    }
}
