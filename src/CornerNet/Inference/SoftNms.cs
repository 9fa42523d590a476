namespace CornerNet.Inference;

/// <summary>
/// Soft-NMS of the official CornerNet (<c>external/nms.pyx</c> <c>soft_nms</c> and <c>soft_nms_merge</c>) on one
/// class's detections, in place, with the same float/double arithmetic so results agree to the last bit.
/// Rows have <see cref="Columns"/> floats: x1, y1, x2, y2, score, tl score, br score.
/// </summary>
internal static class SoftNms
{
    /// <summary>Floats per row.</summary>
    public const int Columns = 7;

    /// <summary>
    /// Runs soft-NMS over the rows of <paramref name="rows"/> (row-major, <see cref="Columns"/> per row) and returns
    /// N: rows 0..N−1 are the surviving boxes in the order they were picked, with decayed scores. Rows past N hold
    /// discarded boxes and stale copies (what the official test code keeps, see
    /// <see cref="SoftNmsOptions.KeepSuppressedRows"/>).
    /// Areas and IoU use the +1 pixel convention (a box from x1 to x2 is x2 − x1 + 1 wide).
    /// </summary>
    public static int Apply(Span<float> rows, SoftNmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (rows.Length % Columns != 0) throw new ArgumentException($"the row array length {rows.Length} is not a multiple of {Columns}", nameof(rows));
        if (options.Method == NmsMethod.None) return rows.Length / Columns;

        int count = rows.Length / Columns;
        int live = count;
        int moved = options.MoveCornerScoresWithBox ? Columns : 5;
        float sigma = options.Sigma, nt = options.OverlapThreshold, threshold = options.ScoreThreshold;

        // The official loop bound is evaluated once (Cython range): indices past the shrinking N are still visited,
        // which only matters for the merge's final division.
        for (int i = 0; i < count; i++)
        {
            int maxPos = i;
            float maxScore = rows[i * Columns + 4];
            for (int pos = i + 1; pos < live; pos++)
                if (maxScore < rows[pos * Columns + 4]) { maxScore = rows[pos * Columns + 4]; maxPos = pos; }
            for (int c = 0; c < moved; c++)
                (rows[i * Columns + c], rows[maxPos * Columns + c]) = (rows[maxPos * Columns + c], rows[i * Columns + c]);

            int t = i * Columns;
            float tx1 = rows[t], ty1 = rows[t + 1], tx2 = rows[t + 2], ty2 = rows[t + 3];
            float mx1 = tx1 * rows[t + 5], my1 = ty1 * rows[t + 5], mx2 = tx2 * rows[t + 6], my2 = ty2 * rows[t + 6];
            float mts = rows[t + 5], mbs = rows[t + 6];

            for (int pos = i + 1; pos < live; pos++)
            {
                int p = pos * Columns;
                float x1 = rows[p], y1 = rows[p + 1], x2 = rows[p + 2], y2 = rows[p + 3];
                // Cython's "+ 1" is a double literal: differences in float, the +1 and products in double, stored as
                // float.
                float area = (float)(((double)(x2 - x1) + 1.0) * ((double)(y2 - y1) + 1.0));
                float iw = (float)((double)(Math.Min(tx2, x2) - Math.Max(tx1, x1)) + 1.0);
                if (!(iw > 0)) continue;
                float ih = (float)((double)(Math.Min(ty2, y2) - Math.Max(ty1, y1)) + 1.0);
                if (!(ih > 0)) continue;
                float ua = (float)(((double)(tx2 - tx1) + 1.0) * ((double)(ty2 - ty1) + 1.0) + area - (double)(iw * ih));
                float ov = iw * ih / ua;
                float weight = options.Method switch
                {
                    NmsMethod.SoftLinear => ov > nt ? (float)(1.0 - ov) : 1f,
                    NmsMethod.SoftGaussian => (float)Math.Exp(-(ov * ov) / sigma),
                    _ => ov > nt ? 0f : 1f,
                };
                if (options.MergeBoxes)
                {
                    float mw = MathF.Pow((float)(1.0 - weight), options.WeightExp);
                    mx1 = mx1 + rows[p] * rows[p + 5] * mw;
                    my1 = my1 + rows[p + 1] * rows[p + 5] * mw;
                    mx2 = mx2 + rows[p + 2] * rows[p + 6] * mw;
                    my2 = my2 + rows[p + 3] * rows[p + 6] * mw;
                    mts = mts + rows[p + 5] * mw;
                    mbs = mbs + rows[p + 6] * mw;
                }
                rows[p + 4] = weight * rows[p + 4];
                if (rows[p + 4] < threshold)
                {
                    // Discard: the last live row takes this place and is examined next.
                    int last = (live - 1) * Columns;
                    for (int c = 0; c < moved; c++) rows[p + c] = rows[last + c];
                    live--;
                    pos--;
                }
            }

            if (options.MergeBoxes)
            {
                rows[t] = mx1 / mts;
                rows[t + 1] = my1 / mts;
                rows[t + 2] = mx2 / mbs;
                rows[t + 3] = my2 / mbs;
            }
        }
        return live;
    }
}
