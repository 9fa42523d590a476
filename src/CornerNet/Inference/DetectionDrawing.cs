using CornerNet.Data;
using SkiaSharp;

namespace CornerNet.Inference;

/// <summary>
/// Draws detections (box, class name, score) onto a copy of an image and saves it as PNG. Images whose shorter side is
/// under <see cref="ReadableSide"/> pixels are enlarged first so that labels stay readable; labels are kept inside the
/// image and never drawn over one another (a label with no free place is left out; its box is still drawn).
/// </summary>
internal static class DetectionDrawing
{
    static readonly SKColor[] Palette =
    {
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(170, 110, 40),
    };

    /// <summary>Shorter sides below this are enlarged (by a whole factor, at most 8) before drawing.</summary>
    public const int ReadableSide = 256;

    /// <summary>
    /// A bitmap of <paramref name="image"/> with <paramref name="detections"/> drawn on it (caller disposes); enlarged
    /// by a whole factor when the image is small, so the bitmap may be larger than the image; with
    /// <paramref name="keepSize"/> (video frames) it is always the image's size.
    /// </summary>
    public static SKBitmap Draw(BgrImage image, IEnumerable<DetectedObject> detections, bool keepSize = false)
    {
        int scale = keepSize ? 1 : Math.Clamp((int)Math.Ceiling((double)ReadableSide / Math.Max(1, Math.Min(image.Width, image.Height))), 1, 8);
        using var original = ImageEncoder.ToBitmap(image);
        var bitmap = new SKBitmap(image.Width * scale, image.Height * scale);
        using var canvas = new SKCanvas(bitmap);
        using (var source = SKImage.FromBitmap(original))
            canvas.DrawImage(source, SKRect.Create(bitmap.Width, bitmap.Height), new SKSamplingOptions(SKFilterMode.Nearest));
        float stroke = Math.Max(1.5f, Math.Min(bitmap.Width, bitmap.Height) / 250f);
        using var font = new SKFont { Size = Math.Max(11f, stroke * 6) };
        using var boxPaint = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        var placed = new List<SKRect>();
        // Highest scores first, so they get the best label places; all boxes before any label, so no box crosses a
        // label.
        var ordered = detections.OrderByDescending(d => d.Score).ToList();
        SKRect BoxOf(DetectedObject d) => SKRect.Create(d.X1 * scale, d.Y1 * scale, d.Width * scale, d.Height * scale);
        foreach (var d in ordered)
        {
            boxPaint.Color = Palette[d.ClassIndex % Palette.Length];
            canvas.DrawRect(BoxOf(d), boxPaint);
        }
        foreach (var d in ordered)
        {
            var color = Palette[d.ClassIndex % Palette.Length];
            var box = BoxOf(d);
            string label = $"{d.ClassName} {d.Score:F2}";
            float width = font.MeasureText(label) + 4, height = font.Size + 2;
            if (LabelPlace(box, width, height, bitmap.Width, bitmap.Height, placed) is not SKRect place) continue;
            placed.Add(place);
            fill.Color = color;
            canvas.DrawRect(place, fill);
            canvas.DrawText(label, place.Left + 2, place.Top + font.Size - 1, font, text);
        }
        return bitmap;
    }

    /// <summary>
    /// Where a label of <paramref name="width"/> × <paramref name="height"/> goes for <paramref name="box"/>: above it,
    /// inside its top, below it, then further down, each moved inside the image; the first place that overlaps no
    /// label already placed, or null.
    /// </summary>
    internal static SKRect? LabelPlace(SKRect box, float width, float height, int imageWidth, int imageHeight, List<SKRect> placed)
    {
        if (width > imageWidth || height > imageHeight) return null;
        float left = Math.Clamp(box.Left, 0, imageWidth - width);
        var tops = new List<float> { box.Top - height, box.Top, box.Bottom };
        for (float top = box.Bottom + height; top + height <= imageHeight; top += height) tops.Add(top);
        foreach (float top in tops)
        {
            var place = SKRect.Create(left, Math.Clamp(top, 0, imageHeight - height), width, height);
            if (!placed.Any(p => p.IntersectsWith(place))) return place;
        }
        return null;
    }

    /// <summary>Draws and writes a PNG to <paramref name="path"/> (temp name, then rename).</summary>
    public static void Save(BgrImage image, IEnumerable<DetectedObject> detections, string path) =>
        AtomicFile.Write(path, stream => WritePng(image, detections, stream));

    /// <summary>Draws and writes a PNG to <paramref name="stream"/>.</summary>
    internal static void WritePng(BgrImage image, IEnumerable<DetectedObject> detections, Stream stream)
    {
        using var bitmap = Draw(image, detections);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        data.SaveTo(stream);
    }
}
