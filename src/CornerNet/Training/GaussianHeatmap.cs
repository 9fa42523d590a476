namespace CornerNet.Training;

/// <summary>
/// Draws unnormalized 2-D Gaussians into a corner heatmap held on the host as a row-major float array, exactly as the
/// official <c>draw_gaussian</c>: diameter 2r + 1, σ = (2r + 1)/6 (the paper says σ = r/3), values
/// <c>exp(−(x² + y²)/(2σ²))</c> on the integer grid −r..r computed in float64, values below float64 eps × max set to 0,
/// written with an element-wise max (overlapping objects keep the larger value) and clipped at the borders. The peak is
/// exactly 1, which is how the focal loss finds the positive locations.
/// </summary>
internal static class GaussianHeatmap
{
    /// <summary>The (2r + 1) × (2r + 1) kernel in float64, row-major, peak 1 at the centre.</summary>
    public static double[] Kernel(int radius)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        int diameter = 2 * radius + 1;
        double sigma = diameter / 6.0;
        double denominator = 2 * sigma * sigma;
        var kernel = new double[diameter * diameter];
        double max = 0;
        for (int i = 0; i < diameter; i++)
        {
            double y = i - radius;
            for (int j = 0; j < diameter; j++)
            {
                double x = j - radius;
                double v = Math.Exp(-(x * x + y * y) / denominator);
                kernel[i * diameter + j] = v;
                max = Math.Max(max, v);
            }
        }
        double cut = Float64Epsilon * max;
        for (int k = 0; k < kernel.Length; k++)
            if (kernel[k] < cut) kernel[k] = 0;
        return kernel;
    }

    /// <summary>
    /// Draws the Gaussian of <paramref name="radius"/> centred at (<paramref name="centerX"/>,
    /// <paramref name="centerY"/>)
    /// into <paramref name="map"/> (<paramref name="height"/> × <paramref name="width"/>, starting at
    /// <paramref name="offset"/>) with an element-wise max; the parts outside the map are clipped.
    /// </summary>
    public static void Draw(float[] map, int offset, int height, int width, int centerX, int centerY, int radius)
    {
        CheckCenter(map, offset, height, width, centerX, centerY);
        var kernel = Kernel(radius);
        int diameter = 2 * radius + 1;
        int left = Math.Min(centerX, radius), right = Math.Min(width - centerX, radius + 1);
        int top = Math.Min(centerY, radius), bottom = Math.Min(height - centerY, radius + 1);
        for (int dy = -top; dy < bottom; dy++)
        {
            int row = offset + (centerY + dy) * width;
            int kernelRow = (radius + dy) * diameter + radius;
            for (int dx = -left; dx < right; dx++)
            {
                float v = (float)kernel[kernelRow + dx];
                ref float cell = ref map[row + centerX + dx];
                if (v > cell) cell = v;
            }
        }
    }

    /// <summary>
    /// Sets only the corner location to 1 (the paper's ablation without penalty reduction: no Gaussian, so every
    /// negative location gets the full penalty).
    /// </summary>
    public static void DrawPeak(float[] map, int offset, int height, int width, int centerX, int centerY)
    {
        CheckCenter(map, offset, height, width, centerX, centerY);
        map[offset + centerY * width + centerX] = 1f;
    }

    const double Float64Epsilon = 2.220446049250313e-16;

    static void CheckCenter(float[] map, int offset, int height, int width, int centerX, int centerY)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (height <= 0 || width <= 0 || offset < 0 || (long)offset + (long)height * width > map.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"a {height} × {width} map at offset {offset} does not fit in an array of {map.Length}");
        if (centerX < 0 || centerX >= width || centerY < 0 || centerY >= height)
            throw new ArgumentOutOfRangeException(nameof(centerX), $"centre ({centerX}, {centerY}) is outside the {height} × {width} map");
    }
}
