namespace CornerNet.Quantization;

/// <summary>
/// What calibration observed of one tensor: its minimum, maximum and a histogram of |x| (2048 bins over [0, max |x|],
/// re-binned when a larger value arrives), from which <see cref="Range"/> picks the quantization range.
/// </summary>
internal sealed class ActivationStatistics
{
    /// <summary>Histogram bins over [0, max |x|].</summary>
    public const int Bins = 2048;

    /// <summary>The default percentile of <see cref="CalibrationMethod.Percentile"/>.</summary>
    public const double DefaultPercentile = 99.999;

    long[] _histogram = new long[Bins];
    float _histogramTop;

    /// <summary>Smallest value seen (+∞ before any).</summary>
    public float Min { get; private set; } = float.PositiveInfinity;

    /// <summary>Largest value seen (−∞ before any).</summary>
    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>Number of values seen.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="values"/>; NaN or infinite values throw (the float network is broken or the input
    /// is).</summary>
    public void Observe(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
            else if (float.IsNaN(v)) throw new InvalidOperationException("calibration saw a NaN activation");
        }
        if (!float.IsFinite(lo) || !float.IsFinite(hi)) throw new InvalidOperationException("calibration saw a NaN or infinite activation");
        Min = Math.Min(Min, lo);
        Max = Math.Max(Max, hi);
        Count += values.Length;
        float top = Math.Max(-lo, hi);
        if (top > _histogramTop) Rebin(top);
        if (_histogramTop == 0)
        {
            _histogram[0] += values.Length;
            return;
        }
        float perBin = Bins / _histogramTop;
        var histogram = _histogram;
        foreach (float v in values)
        {
            int bin = (int)(Math.Abs(v) * perBin);
            histogram[bin < Bins ? bin : Bins - 1]++;
        }
    }

    /// <summary>Widens the histogram to [0, <paramref name="top"/>], moving each old bin's count by its
    /// centre.</summary>
    void Rebin(float top)
    {
        if (_histogramTop > 0)
        {
            var widened = new long[Bins];
            double oldWidth = _histogramTop / Bins, newWidth = top / Bins;
            for (int i = 0; i < Bins; i++)
            {
                if (_histogram[i] == 0) continue;
                int bin = (int)((i + 0.5) * oldWidth / newWidth);
                widened[Math.Min(bin, Bins - 1)] += _histogram[i];
            }
            _histogram = widened;
        }
        _histogramTop = top;
    }

    /// <summary>
    /// The range [low, high] to quantize to with <paramref name="method"/>. Clipping methods cut |x| at a threshold, so
    /// their range always lies inside [<see cref="Min"/>, <see cref="Max"/>].
    /// </summary>
    public (float Low, float High) Range(CalibrationMethod method, double percentile = DefaultPercentile)
    {
        if (Count == 0) throw new InvalidOperationException("no values observed");
        if (method == CalibrationMethod.MinMax || _histogramTop == 0) return (Min, Max);
        float threshold = method switch
        {
            CalibrationMethod.Percentile => PercentileThreshold(percentile),
            CalibrationMethod.Entropy => EntropyThreshold(),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        return (Math.Max(Min, -threshold), Math.Min(Max, threshold));
    }

    float PercentileThreshold(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), "a percentile is in (0, 100]");
        long total = _histogram.Sum();
        double wanted = total * percentile / 100;
        long cumulative = 0;
        for (int i = 0; i < Bins; i++)
        {
            cumulative += _histogram[i];
            if (cumulative >= wanted) return (i + 1) * _histogramTop / Bins;
        }
        return _histogramTop;
    }

    /// <summary>
    /// TensorRT's entropy calibration: for each candidate threshold (in bins) the histogram up to it, with everything
    /// above added to its last bin, is compared (KL divergence) with the same histogram quantized to the levels one
    /// side of the integer range holds (128, or 256 for a tensor with no negative values) and expanded back.
    /// </summary>
    float EntropyThreshold()
    {
        int levels = Min >= 0 ? 256 : 128;
        var p = new double[Bins];
        var q = new double[Bins];
        double bestDivergence = double.PositiveInfinity;
        int bestBins = Bins;
        long above = 0;
        var tail = new long[Bins + 1];
        for (int i = Bins - 1; i >= 0; i--) tail[i] = tail[i + 1] + _histogram[i];
        for (int bins = levels; bins <= Bins; bins += 8)
        {
            above = tail[bins];
            for (int k = 0; k < bins; k++) p[k] = _histogram[k];
            p[bins - 1] += above;
            for (int j = 0; j < levels; j++)
            {
                int start = j * bins / levels, end = (j + 1) * bins / levels;
                double sum = 0;
                int nonZero = 0;
                for (int k = start; k < end; k++)
                {
                    sum += _histogram[k];
                    if (_histogram[k] != 0) nonZero++;
                }
                for (int k = start; k < end; k++) q[k] = _histogram[k] != 0 ? sum / nonZero : 0;
            }
            double pTotal = 0, qTotal = 0;
            for (int k = 0; k < bins; k++) { pTotal += p[k]; qTotal += q[k]; }
            if (qTotal == 0) continue;
            double divergence = 0;
            for (int k = 0; k < bins; k++)
            {
                if (p[k] == 0) continue;
                double pk = p[k] / pTotal, qk = Math.Max(q[k] / qTotal, 1e-12);
                divergence += pk * Math.Log(pk / qk);
            }
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                bestBins = bins;
            }
        }
        return bestBins * _histogramTop / Bins;
    }
}
