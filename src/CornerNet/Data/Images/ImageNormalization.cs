namespace CornerNet.Data;

/// <summary>
/// Per-channel mean/std normalisation of a [0, 1] float image, in BGR order, and the move from
/// height × width × channel to the network's channel × height × width layout.
/// </summary>
public sealed record ImageNormalization(float[] Mean, float[] Std)
{
    /// <summary>The official COCO statistics (<c>db/coco.py</c>), BGR.</summary>
    public static ImageNormalization Coco { get; } = new(
        [0.40789654f, 0.44719302f, 0.47026115f],
        [0.28863828f, 0.27408164f, 0.27809835f]);

    /// <summary>(x − mean) / std per channel in float32, written channel-first (3 × H × W).</summary>
    public float[] ToChw(FloatImage image)
    {
        int plane = image.Width * image.Height;
        var chw = new float[plane * 3];
        var p = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            float mean = Mean[c], std = Std[c];
            int o = c * plane;
            for (int px = 0, i = c; px < plane; px++, i += 3) chw[o + px] = (p[i] - mean) / std;
        }
        return chw;
    }
}
