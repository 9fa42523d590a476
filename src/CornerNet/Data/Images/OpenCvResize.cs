namespace CornerNet.Data;

/// <summary>
/// Bilinear resizing of a <see cref="BgrImage"/> that reproduces OpenCV's <c>cv2.resize</c> with
/// <c>INTER_LINEAR</c> on 8-bit images bit for bit (as the official sampler and test code call it):
/// pixel-centre alignment, replicated edges, 11-bit fixed-point weights, and the
/// rounding of OpenCV's vectorised vertical pass (each row's term truncated to 16 bits before the
/// final rounding; the reference fixtures, made with OpenCV 4.6, show it on every element of a row).
/// An exact 2× reduction is a 2×2 box average and an unchanged size is a copy, as in OpenCV.
/// </summary>
internal static class OpenCvResize
{
    const int CoefScale = 1 << 11;

    /// <summary>Resizes <paramref name="source"/> to <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static BgrImage Resize(BgrImage source, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (source.Width == 0 || source.Height == 0)
            throw new ArgumentException("cannot resize an empty image", nameof(source));
        if (source.Width == width && source.Height == height) return source.Clone();
        if (source.Width == 2 * width && source.Height == 2 * height) return HalveByAveraging(source, width, height);
        return ResizeLinear(source, width, height);
    }

    static BgrImage HalveByAveraging(BgrImage source, int width, int height)
    {
        var src = source.Pixels;
        var dst = new byte[width * height * 3];
        int srcRow = source.Width * 3;
        for (int y = 0; y < height; y++)
        {
            int r0 = 2 * y * srcRow, r1 = r0 + srcRow;
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int s = 6 * x + c;
                    dst[(y * width + x) * 3 + c] = (byte)((src[r0 + s] + src[r0 + s + 3] + src[r1 + s] + src[r1 + s + 3] + 2) >> 2);
                }
            }
        }
        return new BgrImage(width, height, dst);
    }

    static BgrImage ResizeLinear(BgrImage source, int width, int height)
    {
        int sw = source.Width, sh = source.Height;
        const int cn = 3;
        // Horizontal taps per output element (x, channel): source offset and two weights.
        int rowElements = width * cn;
        var xOffset = new int[rowElements];
        var xWeight0 = new int[rowElements];
        var xWeight1 = new int[rowElements];
        double scaleX = 1.0 / ((double)width / sw);
        for (int dx = 0; dx < width; dx++)
        {
            float fx = (float)((dx + 0.5) * scaleX - 0.5);
            int sx = (int)MathF.Floor(fx);
            fx -= sx;
            if (sx < 0) { fx = 0; sx = 0; }
            if (sx >= sw - 1) { fx = 0; sx = sw - 1; }
            short a0 = SaturateShort((1f - fx) * CoefScale), a1 = SaturateShort(fx * CoefScale);
            for (int c = 0; c < cn; c++)
            {
                xOffset[dx * cn + c] = sx * cn + c;
                // At the right edge OpenCV multiplies the single tap by the full scale.
                bool lastColumn = sx + 1 >= sw;
                xWeight0[dx * cn + c] = lastColumn ? CoefScale : a0;
                xWeight1[dx * cn + c] = lastColumn ? 0 : a1;
            }
        }

        var src = source.Pixels;
        var dst = new byte[height * rowElements];
        var rows = new RowCache(src, sw * cn, xOffset, xWeight0, xWeight1, cn);
        double scaleY = 1.0 / ((double)height / sh);
        for (int dy = 0; dy < height; dy++)
        {
            float fy = (float)((dy + 0.5) * scaleY - 0.5);
            int sy = (int)MathF.Floor(fy);
            fy -= sy;
            // Unlike x, the vertical weights keep their fraction at the borders; only the rows are clamped.
            int y0 = Math.Clamp(sy, 0, sh - 1), y1 = Math.Clamp(sy + 1, 0, sh - 1);
            short b0 = SaturateShort((1f - fy) * CoefScale), b1 = SaturateShort(fy * CoefScale);
            int[] row0 = rows.Get(y0, other: y1), row1 = rows.Get(y1, other: y0);
            int o = dy * rowElements;
            for (int x = 0; x < rowElements; x++)
            {
                // row values are at most 255·2048, so after >> 4 they fit in 16 bits as in OpenCV's packing.
                int t0 = ((row0[x] >> 4) * b0) >> 16;
                int t1 = ((row1[x] >> 4) * b1) >> 16;
                dst[o + x] = SaturateByte((t0 + t1 + 2) >> 2);
            }
        }
        return new BgrImage(width, height, dst);
    }

    /// <summary>The horizontal pass of the two most recently used source rows (consecutive output rows share
    /// them).</summary>
    sealed class RowCache(byte[] src, int srcRowElements, int[] offset, int[] w0, int[] w1, int cn)
    {
        readonly int[][] _rows = [new int[offset.Length], new int[offset.Length]];
        readonly int[] _index = [-1, -1];

        public int[] Get(int y, int other)
        {
            if (_index[0] == y) return _rows[0];
            if (_index[1] == y) return _rows[1];
            int k = _index[0] == other ? 1 : 0;
            var row = _rows[k];
            int rowStart = y * srcRowElements;
            for (int i = 0; i < row.Length; i++)
            {
                int s = rowStart + offset[i];
                row[i] = w1[i] == 0 ? src[s] * w0[i] : src[s] * w0[i] + src[s + cn] * w1[i];
            }
            _index[k] = y;
            return row;
        }
    }

    static short SaturateShort(float v) => (short)Math.Clamp((int)MathF.Round(v, MidpointRounding.ToEven), short.MinValue, short.MaxValue);

    static byte SaturateByte(int v) => (byte)Math.Clamp(v, 0, 255);
}
