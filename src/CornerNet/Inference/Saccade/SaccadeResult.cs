namespace CornerNet.Inference;

/// <summary>The outcome of the Saccade test procedure on one photo.</summary>
/// <param name="Rounds">The first pass, then each crop round.</param>
/// <param name="Merged">Every kept row of every pass (8 floats), first pass first.</param>
/// <param name="SoftNmsArrays">Per class, the rows handed to soft-NMS (7 floats) as soft-NMS left them.</param>
/// <param name="Final">The result: x1, y1, x2, y2, score, class, in class order (photo pixels, not clipped).</param>
internal sealed record SaccadeResult(IReadOnlyList<SaccadeRound> Rounds, IReadOnlyList<float[]> Merged,
    IReadOnlyList<(int Class, float[] Rows)> SoftNmsArrays, IReadOnlyList<float[]> Final);
