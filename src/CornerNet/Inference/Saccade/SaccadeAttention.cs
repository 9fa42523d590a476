using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// Attention maps to crop locations, as the official <c>att_nms</c> and <c>decode_atts</c>
/// (core/test/cornernet_saccade.py).
/// </summary>
internal static class SaccadeAttention
{
    /// <summary>The official <c>att_nms</c>: each map keeps its values where they equal the maximum of their
    /// kernel×kernel window, zero elsewhere.</summary>
    public static Tensor[] Peaks(IReadOnlyList<Tensor> attentions, IReadOnlyList<int> kernels) =>
        attentions.Select((map, i) => CornerDecoder.SuppressNonPeaks(map, kernels[i])).ToArray();

    /// <summary>
    /// The official <c>decode_atts</c>. For every image (crop) and level: the cells above <paramref name="threshold"/>
    /// (row-major) mapped to photo pixels, y = row·ratio / scale + offset_y (float64), kept inside the photo; the next
    /// scale is att_scale·scale (float64: numpy promotes a Python int times a float32 scalar to float64). A level is
    /// skipped when <paramref name="ignoreSame"/> and att_scale ≤ 1, when the image's scale is above 2 or the next
    /// scale above 4.
    /// </summary>
    /// <param name="peaks">Per level, the maps after <see cref="Peaks"/>.</param>
    /// <param name="attentionScales">Per level, the zoom of the next crop.</param>
    /// <param name="ratios">Per level, the map's stride relative to the network input.</param>
    /// <param name="scales">Per image, its scale.</param>
    /// <param name="offsets">Per image, its crop offset (top, left), row-major N×2.</param>
    /// <param name="height">Photo height.</param>
    /// <param name="width">Photo width.</param>
    /// <param name="threshold">The attention threshold.</param>
    /// <param name="ignoreSame">Skip levels that would not zoom in (crop rounds).</param>
    public static List<SaccadeLocation> Locations(IReadOnlyList<SaccadeAttentionMaps> peaks,
        IReadOnlyList<double> attentionScales, IReadOnlyList<int> ratios, IReadOnlyList<double> scales,
        IReadOnlyList<float> offsets, int height, int width, double threshold, bool ignoreSame)
    {
        var result = new List<SaccadeLocation>();
        float cut = (float)threshold;
        for (int image = 0; image < scales.Count; image++)
        {
            double scale = scales[image];
            for (int level = 0; level < peaks.Count; level++)
            {
                double attScale = attentionScales[level];
                double nextScale = attScale * scale;
                if ((ignoreSame && attScale <= 1) || scale > 2 || nextScale > 4) continue;
                var (values, h, w) = peaks[level];
                int baseIndex = image * h * w;
                for (int row = 0; row < h; row++)
                    for (int column = 0; column < w; column++)
                    {
                        float value = values[baseIndex + row * w + column];
                        if (!(value > cut)) continue;
                        double y = (double)(row * ratios[level]) / scale + offsets[2 * image];
                        double x = (double)(column * ratios[level]) / scale + offsets[2 * image + 1];
                        if (y >= 0 && y < height && x >= 0 && x < width)
                            result.Add(new SaccadeLocation(y, x, nextScale, value));
                    }
            }
        }
        return result;
    }
}
