using CornerNet.Data;
using SkiaSharp;

namespace CornerNet.Inference;

/// <summary>Draws detections (box, class name, score) onto a copy of an image and saves it as PNG.</summary>
public static class DetectionDrawing
{
    static readonly SKColor[] Palette =
    {
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(170, 110, 40),
    };

    /// <summary>A bitmap of <paramref name="image"/> with <paramref name="detections"/> drawn on it (caller disposes).</summary>
    public static SKBitmap Draw(BgrImage image, IEnumerable<DetectedObject> detections)
    {
        var bitmap = ImageEncoder.ToBitmap(image);
        using var canvas = new SKCanvas(bitmap);
        float stroke = Math.Max(1.5f, Math.Min(image.Width, image.Height) / 250f);
        using var font = new SKFont { Size = Math.Max(10f, stroke * 6) };
        using var boxPaint = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill };
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        foreach (var d in detections)
        {
            var color = Palette[d.ClassIndex % Palette.Length];
            boxPaint.Color = color;
            canvas.DrawRect(SKRect.Create(d.X1, d.Y1, d.Width, d.Height), boxPaint);
            string label = $"{d.ClassName} {d.Score:F2}";
            float width = font.MeasureText(label);
            float top = Math.Max(0, d.Y1 - font.Size - 2);
            fill.Color = color;
            canvas.DrawRect(SKRect.Create(d.X1, top, width + 4, font.Size + 2), fill);
            canvas.DrawText(label, d.X1 + 2, top + font.Size - 1, font, text);
        }
        return bitmap;
    }

    /// <summary>Draws and writes a PNG to <paramref name="path"/> (temp name, then rename).</summary>
    public static void Save(BgrImage image, IEnumerable<DetectedObject> detections, string path)
    {
        using var bitmap = Draw(image, detections);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.SaveTo);
    }
}
