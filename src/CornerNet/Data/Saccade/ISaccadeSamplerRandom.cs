namespace CornerNet.Data;

/// <summary>
/// The random draws of the CornerNet-Saccade sampler, in the order the official sampler makes them (numpy's global
/// generator for the crop, Python's <c>random</c> for the jitter order, the loader's generator for the jitter and
/// lighting factors). Behind an interface so that a recorded sequence can be replayed.
/// </summary>
internal interface ISaccadeSamplerRandom
{
    /// <summary>An integer in [<paramref name="low"/>, <paramref name="high"/>) (numpy <c>randint</c>).</summary>
    int Integer(int low, int high);

    /// <summary>A uniform value in [0, 1) (numpy <c>uniform()</c>).</summary>
    double Uniform();

    /// <summary>The order of brightness, contrast and saturation (Python <c>random.shuffle</c>).</summary>
    ColorJitter.Adjustment[] JitterOrder();

    /// <summary>A jitter strength in [−0.4, 0.4) (<c>data_rng.uniform(-0.4, 0.4)</c>).</summary>
    double JitterStrength();

    /// <summary>Three PCA lighting coefficients ~ N(0, 0.1²) (<c>data_rng.normal(scale=0.1, size=3)</c>).</summary>
    double[] LightingAlpha();
}

/// <summary>The sampler's draws from a seeded <see cref="Random"/>.</summary>
internal sealed class SeededSaccadeSamplerRandom(Random random) : ISaccadeSamplerRandom
{
    /// <inheritdoc/>
    public int Integer(int low, int high) => random.Next(low, high);

    /// <inheritdoc/>
    public double Uniform() => random.NextDouble();

    /// <inheritdoc/>
    public ColorJitter.Adjustment[] JitterOrder()
    {
        ColorJitter.Adjustment[] order =
            [ColorJitter.Adjustment.Brightness, ColorJitter.Adjustment.Contrast, ColorJitter.Adjustment.Saturation];
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <inheritdoc/>
    public double JitterStrength() => (random.NextDouble() * 2 - 1) * ColorJitter.Variance;

    /// <inheritdoc/>
    public double[] LightingAlpha()
    {
        var alpha = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            alpha[i] = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2) * PcaLighting.AlphaStd;
        }
        return alpha;
    }
}
