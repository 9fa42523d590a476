namespace CornerNet.Training;

/// <summary>
/// The radius of the Gaussian drawn around a ground-truth corner, from the box size in output-map pixels.
/// Three rules exist (see <see cref="RadiusRule"/>):
/// <list type="bullet">
/// <item>the paper: t = 0.7 and σ = r/3, without the formula;</item>
/// <item>today's official code (the default): the exact formula (<see cref="RadiusRule.Official"/>) at t = 0.3, and
/// σ = (2r + 1)/6 where r is the radius truncated to an integer (see <see cref="GaussianHeatmap"/>);</item>
/// <item>the 2018 release: its formula (<see cref="RadiusRule.Legacy2018"/>) at t = 0.7, same σ rule.</item>
/// </list>
/// The paper's ablation also uses a fixed radius of 2.5 (<see cref="RadiusRule.Fixed"/>).
/// </summary>
internal static class GaussianRadius
{
    /// <summary>The IoU threshold of today's official configuration (<c>gaussian_iou</c> 0.3).</summary>
    public const double OfficialIou = 0.3;

    /// <summary>The IoU threshold of the paper and of the 2018 release (0.7).</summary>
    public const double PaperIou = 0.7;

    /// <summary>The fixed radius of the paper's ablation (Table 2).</summary>
    public const double PaperFixedRadius = 2.5;

    /// <summary>
    /// The real-valued radius for a box of <paramref name="height"/> × <paramref name="width"/> output-map pixels.
    /// For <see cref="RadiusRule.Official"/> and <see cref="RadiusRule.Legacy2018"/>, <paramref name="value"/> is the
    /// IoU threshold t in (0, 1); for <see cref="RadiusRule.Fixed"/> it is the radius itself and the size is ignored.
    /// The arithmetic follows the official Python line by line in float64.
    /// </summary>
    public static double Compute(double height, double width, RadiusRule rule, double value)
    {
        if (!(height >= 0) || !(width >= 0) || double.IsInfinity(height) || double.IsInfinity(width))
            throw new ArgumentOutOfRangeException(nameof(height), $"box size must be finite and non-negative, got {height} × {width}");
        switch (rule)
        {
            case RadiusRule.Fixed:
                if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(nameof(value), $"fixed radius must be finite and ≥ 0, got {value}");
                return value;
            case RadiusRule.Official:
            case RadiusRule.Legacy2018:
                if (!(value > 0 && value < 1)) throw new ArgumentOutOfRangeException(nameof(value), $"IoU threshold must be in (0, 1), got {value}");
                return Formula(height, width, value, rule == RadiusRule.Legacy2018);
            default:
                throw new ArgumentOutOfRangeException(nameof(rule), $"unknown radius rule {rule}");
        }
    }

    /// <summary>
    /// The integer radius that is drawn: <c>max(0, (int)r)</c>, truncation as the official sampler does. With the
    /// fixed 2.5 this draws radius 2 with σ = 5/6, which is the paper's σ = r/3 for r = 2.5.
    /// </summary>
    public static int DrawnRadius(double height, double width, RadiusRule rule, double value) =>
        Math.Max(0, (int)Compute(height, width, rule, value));

    // Three quadratics a·r² − b·r + c = 0 (per case of how both corners move); the 2018 code took the larger root and
    // divided by 2 instead of 2a.
    static double Formula(double height, double width, double t, bool legacy)
    {
        double a1 = 1;
        double b1 = height + width;
        double c1 = width * height * (1 - t) / (1 + t);
        double sq1 = Math.Sqrt(b1 * b1 - 4 * a1 * c1);
        double r1 = legacy ? (b1 + sq1) / 2 : (b1 - sq1) / (2 * a1);

        double a2 = 4;
        double b2 = 2 * (height + width);
        double c2 = (1 - t) * width * height;
        double sq2 = Math.Sqrt(b2 * b2 - 4 * a2 * c2);
        double r2 = legacy ? (b2 + sq2) / 2 : (b2 - sq2) / (2 * a2);

        double a3 = 4 * t;
        double b3 = -2 * t * (height + width);
        double c3 = (t - 1) * width * height;
        double sq3 = Math.Sqrt(b3 * b3 - 4 * a3 * c3);
        double r3 = legacy ? (b3 + sq3) / 2 : (b3 + sq3) / (2 * a3);
        return Math.Min(r1, Math.Min(r2, r3));
    }
}
