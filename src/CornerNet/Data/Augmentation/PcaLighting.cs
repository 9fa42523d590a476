namespace CornerNet.Data;

/// <summary>
/// PCA lighting noise (Krizhevsky et al., as the official <c>lighting_</c>): a colour shift
/// eigvec · (eigval ∘ α), α ~ N(0, σ²) per component, added to every pixel. The eigenvalues and
/// eigenvectors are the ones the official code uses, in BGR channel order.
/// </summary>
internal static class PcaLighting
{
    /// <summary>The official standard deviation of α.</summary>
    public const double AlphaStd = 0.1;

    /// <summary>The official eigenvalues (<c>db/coco.py</c>).</summary>
    public static IReadOnlyList<float> EigenValues { get; } = [0.2141788f, 0.01817699f, 0.00341571f];

    /// <summary>The official eigenvectors (<c>db/coco.py</c>), row c = channel c (B, G, R).</summary>
    public static float[,] EigenVectors => new float[,]
    {
        { -0.58752847f, -0.69563484f, 0.41340352f },
        { -0.5832747f, 0.00994535f, -0.81221408f },
        { -0.56089297f, 0.71832671f, 0.41158938f },
    };

    /// <summary>Draws α (three normal samples) and adds the resulting shift to <paramref name="image"/> in
    /// place.</summary>
    public static void ApplyInPlace(FloatImage image, Random random, double alphaStd = AlphaStd)
    {
        var alpha = new double[3];
        for (int i = 0; i < 3; i++) alpha[i] = NextNormal(random) * alphaStd;
        var shift = Shift(alpha);
        var p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3)
        {
            p[i] += shift[0];
            p[i + 1] += shift[1];
            p[i + 2] += shift[2];
        }
    }

    /// <summary>The per-channel shift eigvec · (eigval ∘ <paramref name="alpha"/>).</summary>
    public static float[] Shift(IReadOnlyList<double> alpha)
    {
        var vectors = EigenVectors;
        var shift = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double sum = 0;
            for (int j = 0; j < 3; j++) sum += vectors[c, j] * EigenValues[j] * alpha[j];
            shift[c] = (float)sum;
        }
        return shift;
    }

    /// <summary>A standard normal sample (Box–Muller), deterministic for a seeded <paramref name="random"/>.</summary>
    static double NextNormal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
