namespace CornerNet.Inference;

/// <summary>
/// Bilinear resizing of 8-bit images with the same integer arithmetic as OpenCV's <c>cv2.resize(..., INTER_LINEAR)</c>
/// on x86 (imgproc/src/resize.cpp, 4.x, no IPP): pixel centres at +0.5, 11-bit fixed-point weights
/// (<c>round(2048·w)</c>), horizontal pass exact in integers, vertical pass rounded as OpenCV's SIMD kernel does
/// (<c>VResizeLinearVec_32s8u</c>: each row term truncated to 16 bits before the sum, not one rounding of the exact
/// sum as its scalar fallback). The fixtures show the SIMD rounding on every value, including the last few of a row.
/// An exact 2× reduction, which OpenCV hands to its INTER_AREA path, gives the same bytes here.
/// </summary>
public static class OpenCvLinearResize
{
    const int CoefBits = 11;
    const int CoefScale = 1 << CoefBits;

    /// <summary>Resizes an HWC image with <paramref name="channels"/> interleaved channels to <paramref name="height"/>×<paramref name="width"/>.</summary>
    public static byte[] Resize(byte[] source, int sourceHeight, int sourceWidth, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1, nameof(height));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(width));
        if (source.Length != sourceHeight * sourceWidth * channels)
            throw new ArgumentException("the source size does not match its dimensions", nameof(source));
        if (height == sourceHeight && width == sourceWidth) return (byte[])source.Clone();

        // OpenCV passes inv_scale = dst/src and takes scale = 1/inv_scale (not src/dst: they can differ in the last bit).
        double scaleX = 1.0 / ((double)width / sourceWidth), scaleY = 1.0 / ((double)height / sourceHeight);

        var xOffsets = new int[width];
        var alphas = new int[width * 2];
        for (int dx = 0; dx < width; dx++)
        {
            float fx = (float)((dx + 0.5) * scaleX - 0.5);
            int sx = (int)MathF.Floor(fx);
            fx -= sx;
            if (sx < 0) { fx = 0; sx = 0; }
            if (sx >= sourceWidth - 1) { fx = 0; sx = sourceWidth - 1; }
            xOffsets[dx] = sx;
            alphas[2 * dx] = RoundToShort((1f - fx) * CoefScale);
            alphas[2 * dx + 1] = RoundToShort(fx * CoefScale);
        }

        int rowLength = width * channels;
        var result = new byte[height * rowLength];
        var row0 = new int[rowLength];
        var row1 = new int[rowLength];
        for (int dy = 0; dy < height; dy++)
        {
            // Rows are clamped to the image but the weights are not (unlike columns): OpenCV's behaviour.
            float fy = (float)((dy + 0.5) * scaleY - 0.5);
            int sy = (int)MathF.Floor(fy);
            fy -= sy;
            int b0 = RoundToShort((1f - fy) * CoefScale), b1 = RoundToShort(fy * CoefScale);
            ResizeRow(source, ClampRow(sy, sourceHeight), sourceWidth, channels, xOffsets, alphas, row0);
            ResizeRow(source, ClampRow(sy + 1, sourceHeight), sourceWidth, channels, xOffsets, alphas, row1);

            int o = dy * rowLength;
            for (int x = 0; x < rowLength; x++)
            {
                // ((S >> 4)·b) >> 16 per row, then a rounding shift by 2: the 16-bit multiply-high of the SIMD kernel.
                int v = ((((row0[x] >> 4) * b0) >> 16) + (((row1[x] >> 4) * b1) >> 16) + 2) >> 2;
                result[o + x] = (byte)Math.Clamp(v, 0, 255);
            }
        }
        return result;
    }

    static int ClampRow(int y, int height) => y < 0 ? 0 : y >= height ? height - 1 : y;

    // saturate_cast<short>(float): round half to even.
    static int RoundToShort(float v) => (int)Math.Clamp(MathF.Round(v, MidpointRounding.ToEven), short.MinValue, short.MaxValue);

    static void ResizeRow(byte[] source, int sy, int sourceWidth, int channels, int[] xOffsets, int[] alphas, int[] row)
    {
        int rowStart = sy * sourceWidth * channels;
        for (int dx = 0; dx < xOffsets.Length; dx++)
        {
            int sx = xOffsets[dx];
            int next = Math.Min(sx + 1, sourceWidth - 1);
            int a0 = alphas[2 * dx], a1 = alphas[2 * dx + 1];
            for (int c = 0; c < channels; c++)
                row[dx * channels + c] = source[rowStart + sx * channels + c] * a0 + source[rowStart + next * channels + c] * a1;
        }
    }
}
