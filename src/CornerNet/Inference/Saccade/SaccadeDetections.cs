namespace CornerNet.Inference;

/// <summary>
/// Detections of the Saccade passes to photo pixels and their merge, as the official <c>rescale_dets_</c>,
/// <c>remap_dets_</c> and the end of <c>cornernet_saccade_inference</c>, float rounding included. A detection is a
/// row of 8 floats: x1, y1, x2, y2, score, tl score, br score, class (0-based).
/// </summary>
internal static class SaccadeDetections
{
    /// <summary>Floats per detection row.</summary>
    public const int Columns = CornerDecoder.Columns;

    /// <summary>
    /// The official <c>rescale_dets_</c> and <c>remap_dets_</c>, in place on N×K rows of one pass: from output-map to
    /// input pixels (divided by output/input as float32), then to photo pixels: divided by the image's nominal scale
    /// (in float32 for the first pass's float32 scales, else in float64 and stored as float32) plus its offset.
    /// Nothing is clipped to the photo.
    /// </summary>
    public static void ToPhoto(float[] detections, int rowsPerImage, IReadOnlyList<double> scales,
        IReadOnlyList<float> offsets, int[] inputSize, int[] outputSize, bool float32Scales)
    {
        float ratioY = (float)((double)outputSize[0] / inputSize[0]);
        float ratioX = (float)((double)outputSize[1] / inputSize[1]);
        for (int image = 0; image < scales.Count; image++)
        {
            float top = offsets[2 * image], left = offsets[2 * image + 1];
            for (int r = 0; r < rowsPerImage; r++)
            {
                int o = (image * rowsPerImage + r) * Columns;
                for (int c = 0; c < 4; c++)
                {
                    float v = detections[o + c] / (c % 2 == 0 ? ratioX : ratioY);
                    v = float32Scales ? v / (float)scales[image] : (float)(v / scales[image]);
                    detections[o + c] = v + (c % 2 == 0 ? left : top);
                }
            }
        }
    }

    /// <summary>The rows of N×K detections (row-major) whose score is above <paramref name="minScore"/>.</summary>
    public static List<float[]> Kept(float[] detections, float minScore)
    {
        var rows = new List<float[]>();
        for (int o = 0; o < detections.Length; o += Columns)
            if (detections[o + 4] > minScore) rows.Add(detections.AsSpan(o, Columns).ToArray());
        return rows;
    }

    /// <summary>
    /// The end of the official procedure: per class (in class order) the rows' first 7 columns go through soft-NMS
    /// and the rows it keeps remain; then, when more than <paramref name="maxPerImage"/> remain, only scores at or
    /// above the (n − M)-th smallest one are kept. Returns the final rows (x1, y1, x2, y2, score, class) in class
    /// order and soft-NMS order within a class, and each class's array after soft-NMS.
    /// </summary>
    public static (List<float[]> Final, List<(int Class, float[] Rows)> SoftNmsArrays) Merge(
        IReadOnlyList<float[]> rows, int classes, SoftNmsOptions softNms, int maxPerImage)
    {
        var perClass = new List<List<float[]>>();
        var arrays = new List<(int, float[])>();
        for (int j = 0; j < classes; j++)
        {
            var members = rows.Where(r => (int)r[7] == j).ToList();
            var array = new float[members.Count * SoftNms.Columns];
            for (int i = 0; i < members.Count; i++)
                members[i].AsSpan(0, SoftNms.Columns).CopyTo(array.AsSpan(i * SoftNms.Columns));
            int keep = SoftNms.Apply(array, softNms);
            arrays.Add((j, array));
            var kept = new List<float[]>();
            for (int i = 0; i < keep; i++)
            {
                var o = i * SoftNms.Columns;
                kept.Add([array[o], array[o + 1], array[o + 2], array[o + 3], array[o + 4], j]);
            }
            perClass.Add(kept);
        }
        var scores = perClass.SelectMany(k => k.Select(r => r[4])).ToArray();
        if (scores.Length > maxPerImage)
        {
            Array.Sort(scores);
            float threshold = scores[scores.Length - maxPerImage];
            for (int j = 0; j < classes; j++) perClass[j] = perClass[j].Where(r => r[4] >= threshold).ToList();
        }
        return (perClass.SelectMany(k => k).ToList(), arrays);
    }
}
