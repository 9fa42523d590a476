namespace CornerNet.Data;

/// <summary>
/// The CornerNet-Saccade training sampler (CornerNet-Lite <c>core/sample/cornernet_saccade.py</c>) for one image:
/// an object is drawn and the photo scaled so that its longer side becomes a drawn size (16–32, 32–96 or 96–254
/// pixels by its size), an input-sized window around or holding it is cut out (zero padding), boxes are clipped, the
/// image may be mirrored, then colour jitter and PCA lighting (always) and normalization. Float rounding as the
/// official code (float32 boxes, float64 scale).
/// </summary>
internal static class SaccadeSampler
{
    /// <summary>
    /// Samples <paramref name="image"/> with its <paramref name="boxes"/> (photo pixels, float32) and 0-based
    /// <paramref name="classes"/> into an <paramref name="inputHeight"/> × <paramref name="inputWidth"/> input.
    /// </summary>
    public static SaccadeSample Build(BgrImage image, IReadOnlyList<Box> boxes, IReadOnlyList<int> classes,
        int inputHeight, int inputWidth, ImageNormalization normalization, ISaccadeSamplerRandom random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        var (clipped, kept) = Clip(boxes, 0, image.Height, 0, image.Width);

        double scale;
        int reference = -1;
        if (clipped.Count > 0)
        {
            reference = random.Integer(0, clipped.Count);
            var r = clipped[reference];
            float longer = Math.Max(r.Y2 - r.Y1, r.X2 - r.X1);
            int size = longer > 96 ? random.Integer(96, 255)
                : longer > 32 ? random.Integer(32, 97)
                : random.Integer(16, 33);
            scale = size / (double)longer;
        }
        else
        {
            // np.random.choice(np.arange(0.5, 1.1, 0.1)): numpy's arange steps by (0.5 + 0.1) − 0.5.
            scale = 0.5 + random.Integer(0, 7) * (0.5 + 0.1 - 0.5);
        }
        float scale32 = (float)scale;
        var originals = boxes.Select(b => b.Scale(scale32, scale32)).ToArray();
        var scaled = OpenCvResize.Resize(image, (int)(image.Width * scale), (int)(image.Height * scale));
        var current = clipped.Select(b => b.Scale(scale32, scale32)).ToList();

        bool centred = random.Uniform() > 0.5;
        Box? r0 = reference >= 0 ? current[reference] : null;
        int xc = Centre(scaled.Width, inputWidth, r0?.X1, r0?.X2, centred, random);
        int yc = Centre(scaled.Height, inputHeight, r0?.Y1, r0?.Y2, centred, random);
        var (canvas, border, offsetY, offsetX) = Crop(scaled, yc, xc, inputHeight, inputWidth);
        current = current.Select(b => b.Shift(-offsetX, -offsetY)).ToList();
        var (inside, keptInCrop) = Clip(current, border[0], border[1], border[2], border[3]);
        kept = keptInCrop.Select(i => kept[i]).ToArray();

        bool flipped = random.Uniform() > 0.5;
        if (flipped)
        {
            HorizontalFlip.ApplyInPlace(canvas);
            int w = canvas.Width;
            inside = inside.Select(b => new Box(w - b.X2 - 1, b.Y1, w - b.X1 - 1, b.Y2)).ToList();
        }
        var mostlyInside = new bool[inside.Count];
        for (int i = 0; i < inside.Count; i++)
        {
            var (a, o) = (inside[i], originals[kept[i]]);
            mostlyInside[i] = (a.X2 - a.X1) * (a.Y2 - a.Y1) / ((o.X2 - o.X1) * (o.Y2 - o.Y1)) > 0.5f;
        }

        var pixels = FloatImage.FromBytes(canvas);
        Jitter(pixels, random);
        Lighting(pixels, random.LightingAlpha());
        return new SaccadeSample(normalization.ToChw(pixels), inside.ToArray(), kept.Select(i => classes[i]).ToArray(),
            mostlyInside, flipped);
    }

    /// <summary>
    /// The official <c>clip_detections</c>: coordinates clipped to [x0, x1 − 1] and [y0, y1 − 1], boxes without
    /// width or height dropped; returns the kept boxes and their indices.
    /// </summary>
    public static (List<Box> Boxes, int[] Kept) Clip(IReadOnlyList<Box> boxes, float y0, float y1, float x0, float x1)
    {
        var result = new List<Box>();
        var kept = new List<int>();
        for (int i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            var c = new Box(Clamp(b.X1, x0, x1 - 1), Clamp(b.Y1, y0, y1 - 1), Clamp(b.X2, x0, x1 - 1),
                Clamp(b.Y2, y0, y1 - 1));
            if (c.X2 - c.X1 > 0 && c.Y2 - c.Y1 > 0)
            {
                result.Add(c);
                kept.Add(i);
            }
        }
        return (result, kept.ToArray());
    }

    static float Clamp(float v, float low, float high) => Math.Min(Math.Max(v, low), high);

    /// <summary>The official <c>crop_image_dets</c> along one axis: the crop centre.</summary>
    static int Centre(int imageSide, int inputSide, float? objectLow, float? objectHigh, bool centred,
        ISaccadeSamplerRandom random)
    {
        if (imageSide <= inputSide) return imageSide / 2;
        if (objectLow is null || !centred)
        {
            double low = objectLow is null ? 0 : Math.Max(objectHigh!.Value - inputSide, 0);
            double high = objectLow is null ? imageSide - inputSide : Math.Min(imageSide - inputSide, objectLow.Value);
            return random.Integer((int)low, (int)high + 1) + inputSide / 2;
        }
        double middle = Math.Floor((objectLow.Value + objectHigh!.Value) / 2);
        double min = Math.Max(middle - random.Integer(0, 15), 0);
        double max = Math.Min(middle + random.Integer(0, 15), imageSide - 1);
        return random.Integer((int)min, (int)max + 1);
    }

    /// <summary>The official <c>crop_image</c>: the window around (cy, cx) in a zero canvas, the border of the
    /// pasted region [y0, y1, x0, x1] in canvas pixels and the window's offset.</summary>
    static (BgrImage Canvas, float[] Border, int OffsetY, int OffsetX) Crop(BgrImage image, int cy, int cx,
        int height, int width)
    {
        var canvas = new BgrImage(width, height);
        int x0 = Math.Max(0, cx - width / 2), x1 = Math.Min(cx + width / 2, image.Width);
        int y0 = Math.Max(0, cy - height / 2), y1 = Math.Min(cy + height / 2, image.Height);
        int left = cx - x0, right = x1 - cx, top = cy - y0, bottom = y1 - cy;
        int oy = height / 2 - top, ox = width / 2 - left;
        for (int y = y0; y < y1; y++)
            Array.Copy(image.Pixels, (y * image.Width + x0) * 3, canvas.Pixels, ((oy + y - y0) * width + ox) * 3,
                (x1 - x0) * 3);
        float[] border = [height / 2 - top, height / 2 + bottom, width / 2 - left, width / 2 + right];
        return (canvas, border, cy - height / 2, cx - width / 2);
    }

    /// <summary>The official <c>color_jittering_</c> with the drawn order and strengths.</summary>
    static void Jitter(FloatImage image, ISaccadeSamplerRandom random)
    {
        var order = random.JitterOrder();
        var gray = ColorJitter.Grayscale(image);
        double sum = 0;
        foreach (float g in gray) sum += g;
        float grayMean = (float)(sum / Math.Max(1, gray.Length));
        foreach (var adjustment in order)
            ColorJitter.Apply(image, adjustment, (float)(1 + random.JitterStrength()), gray, grayMean);
    }

    /// <summary>The official <c>lighting_</c>: eigvec · (eigval ∘ α) added in float64 to the float32
    /// pixels.</summary>
    static void Lighting(FloatImage image, IReadOnlyList<double> alpha)
    {
        var vectors = PcaLighting.EigenVectors;
        var shift = new double[3];
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 3; j++) shift[c] += vectors[c, j] * ((double)PcaLighting.EigenValues[j] * alpha[j]);
        var p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3)
            for (int c = 0; c < 3; c++) p[i + c] = (float)(p[i + c] + shift[c]);
    }
}
