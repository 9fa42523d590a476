namespace CornerNet.Inference;

/// <summary>
/// Parameters of <see cref="SoftNms"/>. The defaults are the official test configuration (Gaussian, σ 0.5, Nt 0.5,
/// score threshold 0.001) with two bugs of the official code fixed; <see cref="Official"/> reproduces them.
/// </summary>
public sealed record SoftNmsOptions
{
    /// <summary>The suppression method.</summary>
    public NmsMethod Method { get; init; } = NmsMethod.SoftGaussian;

    /// <summary>σ of the Gaussian weight exp(−IoU²/σ).</summary>
    public float Sigma { get; init; } = 0.5f;

    /// <summary>IoU threshold Nt of the hard and linear methods (unused by the Gaussian one).</summary>
    public float OverlapThreshold { get; init; } = 0.5f;

    /// <summary>A box whose decayed score falls below this is discarded.</summary>
    public float ScoreThreshold { get; init; } = 0.001f;

    /// <summary>
    /// Replace each picked box by the average of itself and the boxes it decays (official <c>soft_nms_merge</c>, used
    /// by the official multi-scale configuration): x coordinates weighted by the top-left score, y by the bottom-right
    /// score, times (1 − weight)^<see cref="WeightExp"/>.
    /// </summary>
    public bool MergeBoxes { get; init; }

    /// <summary>Exponent of the merge weight (official multi-scale configuration: 10).</summary>
    public float WeightExp { get; init; } = 10f;

    /// <summary>
    /// Keep every row of the array after soft-NMS, including rows past the returned count (boxes discarded below the
    /// score threshold and stale copies of moved rows). The official test code does this because it ignores the
    /// returned keep list; it is a bug, so the default is false (only the boxes soft-NMS keeps survive).
    /// </summary>
    public bool KeepSuppressedRows { get; init; }

    /// <summary>
    /// Move the corner scores (columns 5–6) together with their box when rows are swapped or overwritten. The official
    /// code moves only columns 0–4, so after the first swap <see cref="MergeBoxes"/> weighs boxes with the corner
    /// scores of other boxes; that is a bug, so the default is true. Without merging the columns are not used.
    /// </summary>
    public bool MoveCornerScoresWithBox { get; init; } = true;

    /// <summary>The official behaviour, bugs included: the given method and merging, all rows kept, columns 5–6 left in
    /// place.</summary>
    public static SoftNmsOptions Official(bool mergeBoxes, float weightExp) => new()
    {
        MergeBoxes = mergeBoxes,
        WeightExp = weightExp,
        KeepSuppressedRows = true,
        MoveCornerScoresWithBox = false,
    };
}
