namespace CornerNet.Inference;

/// <summary>
/// Everything after decoding in the official test (<c>test/coco.py kp_detection</c>), on host arrays: mirror
/// detections mapped back, output-map coordinates mapped to image pixels, scales concatenated, rejected pairs dropped,
/// per-class soft-NMS and the per-image top list. All arithmetic in float32 as the official numpy code.
/// </summary>
internal sealed class PostProcessor
{
    /// <summary>Creates a post-processor for <paramref name="options"/> (only <see cref="DetectionOptions.Nms"/> and
    /// <see cref="DetectionOptions.MaxPerImage"/> are used).</summary>
    public PostProcessor(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The options.</summary>
    public DetectionOptions Options { get; }

    /// <summary>
    /// The final detections of one image from the decoded rows of each scale (each: batch × rows × 8 floats as
    /// <see cref="CornerDecoder.Decode"/> returns them; batch 2 = image and mirror, batch 1 = image only), in class
    /// order and, within a class, in the order soft-NMS left them.
    /// </summary>
    public IReadOnlyList<Detection> Process(IReadOnlyList<(float[] Decoded, int Batch, ScaleGeometry Geometry)> scales, int classes)
    {
        ArgumentNullException.ThrowIfNull(scales);
        var perClass = SplitByClass(scales.Select(s => ToImagePixels(s.Decoded, s.Batch, s.Geometry)), classes);
        var kept = new float[perClass.Length][];
        for (int c = 0; c < perClass.Length; c++)
        {
            int n = SoftNms.Apply(perClass[c], Options.Nms);
            kept[c] = Options.Nms.KeepSuppressedRows ? perClass[c] : perClass[c][..(n * SoftNms.Columns)];
        }
        return SelectTop(kept, Options.MaxPerImage);
    }

    /// <summary>
    /// Maps decoded rows (batch × rows × 8: x1, y1, x2, y2, score, tl, br, class in output-map pixels) to image pixels:
    /// the mirror's (batch index 1) x coordinates become out_w − x (x1 and x2 swapped, no −1), then x ÷ (out_w/in_w),
    /// y ÷ (out_h/in_h), minus the canvas offset, clipped to [0, int(w·s)] and [0, int(h·s)], divided by s.
    /// Returns (batch·rows) × 8 floats, image rows first.
    /// </summary>
    public static float[] ToImagePixels(float[] decoded, int batch, ScaleGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(geometry);
        if (batch is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(batch), batch, "the batch is an image or an image and its mirror");
        if (decoded.Length % (batch * CornerDecoder.Columns) != 0) throw new ArgumentException("the decoded array does not hold whole rows", nameof(decoded));
        const int cols = CornerDecoder.Columns;
        var rows = (float[])decoded.Clone();
        int perImage = rows.Length / batch / cols;
        float outW = geometry.OutputWidth, wr = geometry.WidthRatio, hr = geometry.HeightRatio;
        float left = geometry.Left, top = geometry.Top, maxX = geometry.ResizedWidth, maxY = geometry.ResizedHeight;
        float scale = (float)geometry.Scale;
        for (int r = 0; r < rows.Length / cols; r++)
        {
            int o = r * cols;
            if (r >= perImage)
                (rows[o], rows[o + 2]) = (outW - rows[o + 2], outW - rows[o]);
            for (int k = 0; k < 4; k += 2)
            {
                rows[o + k] = Math.Clamp(rows[o + k] / wr - left, 0f, maxX) / scale;
                rows[o + k + 1] = Math.Clamp(rows[o + k + 1] / hr - top, 0f, maxY) / scale;
            }
        }
        return rows;
    }

    /// <summary>
    /// Concatenates the image-pixel rows of all scales, drops rejected pairs (score ≤ −1) and splits them by class:
    /// one array per class 0..<paramref name="classes"/>−1 of <see cref="SoftNms.Columns"/> floats per row (the class
    /// column removed), in concatenation order.
    /// </summary>
    public static float[][] SplitByClass(IEnumerable<float[]> imageRows, int classes)
    {
        ArgumentNullException.ThrowIfNull(imageRows);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        var lists = Enumerable.Range(0, classes).Select(_ => new List<float>()).ToArray();
        foreach (var rows in imageRows)
            for (int o = 0; o + CornerDecoder.Columns <= rows.Length; o += CornerDecoder.Columns)
            {
                if (!(rows[o + 4] > -1f)) continue;
                float cls = rows[o + 7];
                int c = (int)cls;
                if (c != cls || c < 0 || c >= classes) throw new ArgumentException($"decoded class {cls} is not one of the {classes} classes", nameof(imageRows));
                for (int k = 0; k < SoftNms.Columns; k++) lists[c].Add(rows[o + k]);
            }
        return lists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>
    /// The per-image top list: when more than <paramref name="maxPerImage"/> rows remain over all classes, keeps those
    /// whose score is at least the <paramref name="maxPerImage"/>-th largest (np.partition semantics: ties can keep
    /// more). Rows are <see cref="SoftNms.Columns"/> floats; the result is in class order, then array order.
    /// </summary>
    public static IReadOnlyList<Detection> SelectTop(IReadOnlyList<float[]> perClass, int maxPerImage)
    {
        ArgumentNullException.ThrowIfNull(perClass);
        var scores = perClass.SelectMany(rows => Enumerable.Range(0, rows.Length / SoftNms.Columns).Select(r => rows[r * SoftNms.Columns + 4])).ToArray();
        float threshold = float.NegativeInfinity;
        if (scores.Length > maxPerImage)
        {
            Array.Sort(scores);
            threshold = scores[scores.Length - maxPerImage];
        }
        var result = new List<Detection>();
        for (int c = 0; c < perClass.Count; c++)
        {
            var rows = perClass[c];
            for (int o = 0; o + SoftNms.Columns <= rows.Length; o += SoftNms.Columns)
                if (rows[o + 4] >= threshold)
                    result.Add(new Detection(c, rows[o + 4], rows[o], rows[o + 1], rows[o + 2], rows[o + 3]));
        }
        return result;
    }
}
