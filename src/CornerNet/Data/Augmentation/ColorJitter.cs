namespace CornerNet.Data;

/// <summary>
/// The official colour jitter (<c>utils/image.py color_jittering_</c>): brightness, contrast and
/// saturation, each with a factor α = 1 + U(−0.4, 0.4), applied in a random order to the float image.
/// All three use the grayscale of the image as it was before jittering (OpenCV's BGR→gray weights):
/// brightness x·α; contrast x·α + mean(gray)·(1 − α); saturation x·α + gray·(1 − α). No clipping.
/// </summary>
internal static class ColorJitter
{
    /// <summary>The official strength: factors are drawn from 1 ± 0.4.</summary>
    public const double Variance = 0.4;

    /// <summary>The three adjustments.</summary>
    public enum Adjustment
    {
        /// <summary>x·α.</summary>
        Brightness,
        /// <summary>Blend with the mean grey level.</summary>
        Contrast,
        /// <summary>Blend with the per-pixel grey level.</summary>
        Saturation,
    }

    /// <summary>Jitters <paramref name="image"/> in place: shuffles the order, then draws one factor per adjustment in
    /// that order.</summary>
    public static void ApplyInPlace(FloatImage image, Random random)
    {
        Adjustment[] order = [Adjustment.Brightness, Adjustment.Contrast, Adjustment.Saturation];
        // Fisher–Yates, as Python's random.shuffle.
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var gray = Grayscale(image);
        double grayMean = 0;
        foreach (float g in gray) grayMean += g;
        grayMean /= Math.Max(1, gray.Length);
        foreach (var adjustment in order)
        {
            float alpha = (float)(1 + (random.NextDouble() * 2 - 1) * Variance);
            Apply(image, adjustment, alpha, gray, (float)grayMean);
        }
    }

    /// <summary>Applies one adjustment with factor <paramref name="alpha"/> (exposed for tests).</summary>
    public static void Apply(FloatImage image, Adjustment adjustment, float alpha, float[] gray, float grayMean)
    {
        var p = image.Pixels;
        float rest = 1 - alpha;
        switch (adjustment)
        {
            case Adjustment.Brightness:
                for (int i = 0; i < p.Length; i++) p[i] *= alpha;
                break;
            case Adjustment.Contrast:
                float shift = grayMean * rest;
                for (int i = 0; i < p.Length; i++) p[i] = p[i] * alpha + shift;
                break;
            case Adjustment.Saturation:
                for (int px = 0, i = 0; px < gray.Length; px++, i += 3)
                {
                    float g = gray[px] * rest;
                    p[i] = p[i] * alpha + g;
                    p[i + 1] = p[i + 1] * alpha + g;
                    p[i + 2] = p[i + 2] * alpha + g;
                }
                break;
        }
    }

    /// <summary>OpenCV's BGR→gray: 0.114·B + 0.587·G + 0.299·R per pixel.</summary>
    public static float[] Grayscale(FloatImage image)
    {
        var p = image.Pixels;
        var gray = new float[image.Width * image.Height];
        for (int px = 0, i = 0; px < gray.Length; px++, i += 3)
            gray[px] = p[i] * 0.114f + p[i + 1] * 0.587f + p[i + 2] * 0.299f;
        return gray;
    }
}
