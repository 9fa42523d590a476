namespace CornerNet.Inference;

/// <summary>One record of a COCO results file: <c>{"image_id", "category_id", "bbox": [x, y, w, h], "score"}</c>.</summary>
/// <param name="ImageId">COCO image id.</param>
/// <param name="CategoryId">COCO category id.</param>
/// <param name="Bbox">x, y, width, height in pixels.</param>
/// <param name="Score">Confidence.</param>
public sealed record CocoResult(long ImageId, int CategoryId, double[] Bbox, double Score)
{
    /// <summary>
    /// Converts detections as the official <c>db/coco.py convert_to_coco</c>: bbox = [x1, y1, x2 − x1, y2 − y1] (float32
    /// differences, no +1), and with <paramref name="roundToTwoDecimals"/> (the official default) every bbox value and
    /// the score rounded to 2 decimals like Python's <c>float("{:.2f}".format(v))</c> (round half to even on the exact
    /// binary value). <paramref name="categoryId"/> maps a class index to its COCO category id.
    /// </summary>
    public static List<CocoResult> FromDetections(IEnumerable<Detection> detections, long imageId, Func<int, int> categoryId, bool roundToTwoDecimals = true)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(categoryId);
        double Value(float v) => roundToTwoDecimals ? RoundToTwoDecimals(v) : v;
        return detections.Select(d => new CocoResult(imageId, categoryId(d.ClassIndex),
            [Value(d.X1), Value(d.Y1), Value(d.X2 - d.X1), Value(d.Y2 - d.Y1)], Value(d.Score))).ToList();
    }

    /// <summary>Python's <c>float("{:.2f}".format(v))</c> for a float32 value.</summary>
    public static double RoundToTwoDecimals(float v)
    {
        // A float has 24 significant bits and 100 needs 7, so v·100 is exact in double; rounding it to an integer half
        // to even is then exactly the correctly rounded decimal, and n/100 is the double nearest to that decimal.
        double n = Math.Round((double)v * 100.0, MidpointRounding.ToEven);
        return n / 100.0;
    }
}
