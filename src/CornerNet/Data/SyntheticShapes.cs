using SkiaSharp;

namespace CornerNet.Data;

/// <summary>
/// Generates the synthetic shapes dataset: square images of 1 to <see cref="MaxObjects"/> shapes of
/// six classes whose bounding-box corners lie outside the shape (circle, triangle, ring, cross, star,
/// diamond), of widely varying sizes (down to about 8 pixels), overlapping, in random colours with
/// optional noise texture, on textured gradient backgrounds with clutter lines and pixel noise.
/// Each image depends only on (seed, index). Object pixels are painted exactly where each shape's
/// rasterised mask says, so every box is the tight extent of its object's visible pixels.
/// </summary>
public sealed class SyntheticShapes
{
    /// <summary>Class names, in class-index order (COCO category id = index + 1).</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["circle", "triangle", "ring", "cross", "star", "diamond"];

    /// <summary>Image side in pixels.</summary>
    public int Size { get; }

    /// <summary>Most objects in one image.</summary>
    public int MaxObjects { get; }

    /// <summary>The generator for <paramref name="size"/> × <paramref name="size"/> images.</summary>
    public SyntheticShapes(int size = 256, int maxObjects = 6)
    {
        if (size < 32) throw new ArgumentOutOfRangeException(nameof(size), size, "synthetic images must be at least 32 pixels");
        if (maxObjects < 1) throw new ArgumentOutOfRangeException(nameof(maxObjects), maxObjects, "at least one object per image");
        Size = size;
        MaxObjects = maxObjects;
    }

    /// <summary>Image <paramref name="index"/> of the dataset with seed <paramref name="seed"/>.</summary>
    public SyntheticImage Generate(int seed, int index)
    {
        var random = new Random(SampleSeed.Derive(seed, 0, index));
        int n = Size * Size;
        var image = Background(random);
        var owner = new int[n];
        Array.Fill(owner, -1);
        var visible = new List<int>();
        var classes = new List<int>();
        int wanted = random.Next(1, MaxObjects + 1);
        for (int k = 0; k < wanted; k++)
        {
            // A few tries to place a shape that neither vanishes nor hides most of an earlier one.
            for (int attempt = 0; attempt < 20; attempt++)
            {
                int cls = random.Next(ClassNames.Count);
                var mask = Rasterize(ShapePath(cls, random));
                if (!Acceptable(mask, owner, visible)) continue;
                int id = classes.Count;
                int count = 0;
                for (int p = 0; p < n; p++)
                {
                    if (mask[p] == 0) continue;
                    if (owner[p] >= 0) visible[owner[p]]--;
                    owner[p] = id;
                    count++;
                }
                visible.Add(count);
                classes.Add(cls);
                Paint(image, mask, random);
                break;
            }
        }
        AddNoise(image, random);
        var objects = classes.Select((cls, id) => new SyntheticObject(cls, Extent(owner, id), visible[id])).ToArray();
        return new SyntheticImage(image, objects, owner);
    }

    bool Acceptable(byte[] mask, int[] owner, List<int> visible)
    {
        int own = 0;
        var covered = new int[visible.Count];
        for (int p = 0; p < mask.Length; p++)
        {
            if (mask[p] == 0) continue;
            own++;
            if (owner[p] >= 0) covered[owner[p]]++;
        }
        if (own < 24) return false;
        for (int i = 0; i < covered.Length; i++)
            if (covered[i] * 2 > visible[i]) return false;
        return true;
    }

    Box Extent(int[] owner, int id)
    {
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1;
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                if (owner[y * Size + x] != id) continue;
                x1 = Math.Min(x1, x); x2 = Math.Max(x2, x);
                y1 = Math.Min(y1, y); y2 = Math.Max(y2, y);
            }
        // Pixel-edge convention, as COCO boxes from masks: the box covers columns x1..x2 inclusive.
        return new Box(x1, y1, x2 + 1, y2 + 1);
    }

    SKPath ShapePath(int cls, Random random)
    {
        double minSide = 8, maxSide = Size * 0.7;
        float side = (float)Math.Exp(Math.Log(minSide) + random.NextDouble() * (Math.Log(maxSide) - Math.Log(minSide)));
        float r = side / 2;
        float cx = (float)(random.NextDouble() * Size), cy = (float)(random.NextDouble() * Size);
        float aspect = (float)(0.75 + random.NextDouble() * 0.6);
        float angle = 0;
        var path = new SKPath();
        switch (ClassNames[cls])
        {
            case "circle":
                path.AddOval(new SKRect(-r * aspect, -r / aspect, r * aspect, r / aspect));
                break;
            case "ring":
                float inner = (float)(0.45 + random.NextDouble() * 0.25);
                path.FillType = SKPathFillType.EvenOdd;
                path.AddOval(new SKRect(-r * aspect, -r / aspect, r * aspect, r / aspect));
                path.AddOval(new SKRect(-r * aspect * inner, -r / aspect * inner, r * aspect * inner, r / aspect * inner));
                break;
            case "triangle":
                angle = (float)(random.NextDouble() * 360);
                Polygon(path, Enumerable.Range(0, 3).Select(i =>
                    Polar(r, (float)(i * 120 + (random.NextDouble() - 0.5) * 30))).ToArray());
                break;
            case "cross":
                angle = (float)((random.NextDouble() - 0.5) * 30);
                float t = r * (float)(0.25 + random.NextDouble() * 0.2);
                Polygon(path, [new(-t, -r), new(t, -r), new(t, -t), new(r, -t), new(r, t), new(t, t),
                               new(t, r), new(-t, r), new(-t, t), new(-r, t), new(-r, -t), new(-t, -t)]);
                break;
            case "star":
                angle = (float)(random.NextDouble() * 360);
                float innerRadius = r * (float)(0.38 + random.NextDouble() * 0.14);
                Polygon(path, Enumerable.Range(0, 10).Select(i => Polar(i % 2 == 0 ? r : innerRadius, i * 36)).ToArray());
                break;
            case "diamond":
                angle = (float)((random.NextDouble() - 0.5) * 30);
                Polygon(path, [new(0, -r / aspect), new(r * aspect, 0), new(0, r / aspect), new(-r * aspect, 0)]);
                break;
        }
        path.Transform(SKMatrix.CreateRotationDegrees(angle).PostConcat(SKMatrix.CreateTranslation(cx, cy)));
        return path;
    }

    static SKPoint Polar(float radius, float degrees)
    {
        double a = degrees * Math.PI / 180 - Math.PI / 2;
        return new SKPoint((float)(radius * Math.Cos(a)), (float)(radius * Math.Sin(a)));
    }

    static void Polygon(SKPath path, SKPoint[] points)
    {
        path.MoveTo(points[0]);
        for (int i = 1; i < points.Length; i++) path.LineTo(points[i]);
        path.Close();
    }

    /// <summary>The pixels a path covers (no antialiasing: a pixel is the shape's or not).</summary>
    byte[] Rasterize(SKPath path)
    {
        using (path)
        using (var bitmap = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Alpha8, SKAlphaType.Premul)))
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = false, Color = SKColors.White, Style = SKPaintStyle.Fill })
        {
            canvas.Clear(SKColors.Transparent);
            canvas.DrawPath(path, paint);
            canvas.Flush();
            var mask = new byte[Size * Size];
            var span = bitmap.GetPixelSpan();
            for (int y = 0; y < Size; y++) span.Slice(y * bitmap.RowBytes, Size).CopyTo(mask.AsSpan(y * Size, Size));
            return mask;
        }
    }

    static SKColor RandomColor(Random random, float minValue, float maxValue, float minSaturation) =>
        SKColor.FromHsv((float)(random.NextDouble() * 360), (float)(minSaturation + random.NextDouble() * (100 - minSaturation)),
            (float)(minValue + random.NextDouble() * (maxValue - minValue)));

    BgrImage Background(Random random)
    {
        var info = new SKImageInfo(Size, Size, SKColorType.Bgra8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using var canvas = new SKCanvas(bitmap);
        var a = RandomColor(random, 10, 90, 0);
        var b = RandomColor(random, 10, 90, 0);
        float angle = (float)(random.NextDouble() * 2 * Math.PI);
        var start = new SKPoint(Size / 2f - MathF.Cos(angle) * Size / 2, Size / 2f - MathF.Sin(angle) * Size / 2);
        var end = new SKPoint(Size / 2f + MathF.Cos(angle) * Size / 2, Size / 2f + MathF.Sin(angle) * Size / 2);
        using (var gradient = SKShader.CreateLinearGradient(start, end, [a, b], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = gradient })
            canvas.DrawRect(0, 0, Size, Size, paint);
        using (var noise = NoiseLayer(random))
        using (var paint = new SKPaint { Color = SKColors.White.WithAlpha((byte)random.Next(30, 140)) })
            canvas.DrawImage(noise, new SKRect(0, 0, Size, Size), new SKSamplingOptions(SKFilterMode.Linear), paint);
        int lines = random.Next(0, 6);
        for (int i = 0; i < lines; i++)
        {
            using var paint = new SKPaint
            {
                IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1 + (float)random.NextDouble() * 2,
                Color = RandomColor(random, 20, 100, 0).WithAlpha((byte)random.Next(60, 200)),
            };
            canvas.DrawLine((float)random.NextDouble() * Size, (float)random.NextDouble() * Size,
                (float)random.NextDouble() * Size, (float)random.NextDouble() * Size, paint);
        }
        canvas.Flush();
        return ImageEncoder.FromBitmap(bitmap);
    }

    /// <summary>
    /// Fractal Perlin noise over the whole image. Rendered at a quarter of the resolution and scaled up
    /// when drawn: Skia's Perlin shader is slow per pixel, and the noise is smooth at that scale anyway.
    /// </summary>
    SKImage NoiseLayer(Random random)
    {
        int side = Math.Max(8, Size / 4);
        float frequency = (float)(0.04 + random.NextDouble() * 0.4);
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Bgra8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        using var noise = SKShader.CreatePerlinNoiseFractalNoise(frequency, frequency, random.Next(1, 4), random.Next(1000));
        using var paint = new SKPaint { Shader = noise };
        canvas.Clear(SKColors.Gray);
        canvas.DrawRect(0, 0, side, side, paint);
        canvas.Flush();
        return SKImage.FromBitmap(bitmap);
    }

    /// <summary>Paints an object's pixels: a random colour, half of the time mixed with a noise texture.</summary>
    void Paint(BgrImage image, byte[] mask, Random random)
    {
        var color = RandomColor(random, 35, 100, 30);
        byte[]? texture = null;
        float mix = 0;
        if (random.NextDouble() < 0.5)
        {
            var info = new SKImageInfo(Size, Size, SKColorType.Bgra8888, SKAlphaType.Premul);
            using var bitmap = new SKBitmap(info);
            using var canvas = new SKCanvas(bitmap);
            using var noise = NoiseLayer(random);
            canvas.DrawImage(noise, new SKRect(0, 0, Size, Size), new SKSamplingOptions(SKFilterMode.Linear));
            canvas.Flush();
            texture = ImageEncoder.FromBitmap(bitmap).Pixels;
            mix = (float)(0.2 + random.NextDouble() * 0.3);
        }
        var p = image.Pixels;
        byte[] bgr = [color.Blue, color.Green, color.Red];
        for (int px = 0; px < mask.Length; px++)
        {
            if (mask[px] == 0) continue;
            for (int c = 0; c < 3; c++)
            {
                float v = bgr[c];
                if (texture != null) v = v * (1 - mix) + texture[px * 3 + c] * mix;
                p[px * 3 + c] = (byte)Math.Clamp(MathF.Round(v), 0, 255);
            }
        }
    }

    static void AddNoise(BgrImage image, Random random)
    {
        double sigma = random.NextDouble() * 8;
        if (sigma < 0.5) return;
        var p = image.Pixels;
        for (int i = 0; i < p.Length; i++)
        {
            // Sum of three uniforms: close enough to Gaussian noise, and cheap.
            double noise = (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2 * sigma;
            p[i] = (byte)Math.Clamp((int)Math.Round(p[i] + noise), 0, 255);
        }
    }
}

/// <summary>One object of a synthetic image: class index, tight box of its visible pixels, and their count.</summary>
public sealed record SyntheticObject(int ClassIndex, Box Box, int VisiblePixels);

/// <summary>
/// A synthetic image, its objects, and for every pixel (row-major) the number of the object visible there
/// (an index into <see cref="Objects"/>, −1 for background). Placement never hides an object completely.
/// </summary>
public sealed record SyntheticImage(BgrImage Image, SyntheticObject[] Objects, int[] Owner);
