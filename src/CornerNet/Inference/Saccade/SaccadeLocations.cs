namespace CornerNet.Inference;

/// <summary>
/// Crop locations from detections and their suppression, as the official <c>get_ref_locs</c> and
/// <c>location_nms</c> (core/test/cornernet_saccade.py).
/// </summary>
internal static class SaccadeLocations
{
    /// <summary>
    /// The official <c>get_ref_locs</c>: every detection (rows of 8 floats: x1, y1, x2, y2, score, …) scoring over
    /// 0.5 becomes a location at its box centre with scale 192, 64 or 24 over its longer side (longer than 96, than 32,
    /// or not), score 1; all in float32 as the official code. Not clipped to the photo.
    /// </summary>
    public static List<SaccadeLocation> FromDetections(IReadOnlyList<float[]> detections)
    {
        var result = new List<SaccadeLocation>();
        foreach (var d in detections)
        {
            if (!(d[4] > 0.5f)) continue;
            float x = (d[0] + d[2]) / 2, y = (d[1] + d[3]) / 2;
            float longer = Math.Max(d[2] - d[0], d[3] - d[1]);
            float scale = longer > 96 ? 192 / longer : longer > 32 ? 64 / longer : 24 / longer;
            result.Add(new SaccadeLocation(y, x, scale, 1));
        }
        return result;
    }

    /// <summary>
    /// The official <c>location_nms</c>: locations are visited by descending score in numpy's order (ties of the
    /// ≤ 17-element insertion sort in reverse input order, see <see cref="NumpyArgsort"/>); each remaining one is
    /// taken and drops every other one whose min(|Δy|, |Δx|) ≤ <paramref name="threshold"/> / its scale and whose
    /// scale ratio lies in [0.8, 1.2]. A minimum, not a distance: one shared row or column band is enough.
    /// </summary>
    public static List<SaccadeLocation> Suppress(IReadOnlyList<SaccadeLocation> locations, double threshold)
    {
        var ascending = NumpyArgsort.Ascending(locations.Select(l => l.Score).ToArray());
        var remaining = ascending.Reverse().Select(i => locations[i]).ToList();
        var result = new List<SaccadeLocation>();
        while (remaining.Count > 0)
        {
            var first = remaining[0];
            result.Add(first);
            double limit = threshold / first.Scale;
            remaining = remaining.Where(other =>
            {
                double distance = Math.Min(Math.Abs(first.Y - other.Y), Math.Abs(first.X - other.X));
                double ratio = first.Scale / other.Scale;
                return distance > limit || ratio > 1.2 || ratio < 0.8;
            }).ToList();
        }
        return result;
    }
}
