namespace CornerNet.Data;

/// <summary>
/// How a [0, 1] image becomes network input: the channel order the model expects (images are decoded as BGR; an RGB
/// model gets red and blue swapped) and per-channel (x − mean) / std with mean and std in that order. Training samples
/// and the test procedure both use it, so every path honours a model's <c>channel_order</c>.
/// </summary>
/// <param name="Mean">Per-channel mean in the model's channel order.</param>
/// <param name="Std">Per-channel standard deviation in the model's channel order.</param>
/// <param name="Rgb">True when the model expects RGB input (the official weights expect BGR).</param>
public sealed record ImageNormalization(float[] Mean, float[] Std, bool Rgb = false)
{
    // The official COCO statistics (db/coco.py, BGR) as model files write them; the float32 values are these rounded.
    internal static readonly double[] CocoMean = [0.40789654, 0.44719302, 0.47026115];
    internal static readonly double[] CocoStd = [0.28863828, 0.27408164, 0.27809835];

    /// <summary>The official COCO statistics (<c>db/coco.py</c>), BGR.</summary>
    public static ImageNormalization Coco { get; } = new(CocoMean.Select(v => (float)v).ToArray(), CocoStd.Select(v => (float)v).ToArray());

    /// <summary>The decoded (BGR) channel that feeds input channel <paramref name="channel"/>.</summary>
    internal int SourceChannel(int channel) => Rgb ? 2 - channel : channel;

    /// <summary>(x − mean) / std per channel in float32, written channel-first (3 × H × W) in the model's channel
    /// order.</summary>
    internal float[] ToChw(FloatImage image)
    {
        int plane = image.Width * image.Height;
        var chw = new float[plane * 3];
        var p = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            float mean = Mean[c], std = Std[c];
            int o = c * plane;
            for (int px = 0, i = SourceChannel(c); px < plane; px++, i += 3) chw[o + px] = (p[i] - mean) / std;
        }
        return chw;
    }
}
