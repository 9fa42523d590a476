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
internal sealed class SyntheticShapes
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

    static bool Acceptable(byte[] mask, int[] owner, List<int> visible)
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
        var image = ImageEncoder.FromBitmap(bitmap);
        Blend(image, ColorTexture(random), (float)(0.1 + random.NextDouble() * 0.45), mask: null);
        return image;
    }

    /// <summary>A colourful smooth texture: an independent value-noise field per channel, 0..255.</summary>
    byte[] ColorTexture(Random random)
    {
        int cells = random.Next(2, 12), octaves = random.Next(1, 4);
        var texture = new byte[Size * Size * 3];
        for (int c = 0; c < 3; c++)
        {
            var field = ValueNoise.Generate(Size, cells, octaves, random);
            for (int p = 0; p < field.Length; p++) texture[p * 3 + c] = (byte)(field[p] * 255);
        }
        return texture;
    }

    /// <summary>Mixes <paramref name="texture"/> into <paramref name="image"/> with weight <paramref name="mix"/> where
    /// <paramref name="mask"/> is set (everywhere when null).</summary>
    static void Blend(BgrImage image, byte[] texture, float mix, byte[]? mask)
    {
        var p = image.Pixels;
        for (int px = 0; px < p.Length / 3; px++)
        {
            if (mask != null && mask[px] == 0) continue;
            for (int c = px * 3; c < px * 3 + 3; c++) p[c] = (byte)MathF.Round(p[c] * (1 - mix) + texture[c] * mix);
        }
    }

    /// <summary>Paints an object's pixels: a random colour, half of the time mixed with a noise texture.</summary>
    void Paint(BgrImage image, byte[] mask, Random random)
    {
        var color = RandomColor(random, 35, 100, 30);
        var p = image.Pixels;
        for (int px = 0; px < mask.Length; px++)
        {
            if (mask[px] == 0) continue;
            p[px * 3] = color.Blue;
            p[px * 3 + 1] = color.Green;
            p[px * 3 + 2] = color.Red;
        }
        if (random.NextDouble() < 0.5) Blend(image, ColorTexture(random), (float)(0.2 + random.NextDouble() * 0.3), mask);
    }

    static void AddNoise(BgrImage image, Random random)
    {
        double amplitude = random.NextDouble() * 12;
        if (amplitude < 1) return;
        var p = image.Pixels;
        // Two random bytes per value give triangular noise in (−amplitude, amplitude): cheap, and noisy enough.
        var bytes = new byte[p.Length * 2];
        random.NextBytes(bytes);
        float scale = (float)(amplitude / 255);
        for (int i = 0; i < p.Length; i++)
            p[i] = (byte)Math.Clamp((int)MathF.Round(p[i] + (bytes[2 * i] + bytes[2 * i + 1] - 255) * scale), 0, 255);
    }
}

/// <summary>One object of a synthetic image: class index, tight box of its visible pixels, and their count.</summary>
internal sealed record SyntheticObject(int ClassIndex, Box Box, int VisiblePixels);

/// <summary>
/// A synthetic image, its objects, and for every pixel (row-major) the number of the object visible there
/// (an index into <see cref="Objects"/>, −1 for background). Placement never hides an object completely.
/// </summary>
internal sealed record SyntheticImage(BgrImage Image, SyntheticObject[] Objects, int[] Owner);
