namespace CornerNet.Experiments;

/// <summary>How a trained model is tested: with or without the flip, and which heads are replaced by ground truth.</summary>
sealed record EvaluationVariant(string Name, string Label, bool Flip, bool TrueHeatmaps, bool TrueOffsets)
{
    /// <summary>The standard single-scale test with flip (Tables 1 and 2).</summary>
    public static EvaluationVariant Standard { get; } = new("flip", "CornerNet (flip test)", true, false, false);

    /// <summary>Table 3's rows: all without flip, so that only the substitution differs between them.</summary>
    public static IReadOnlyList<EvaluationVariant> ErrorAnalysis { get; } =
    [
        new("single", "CornerNet (no flip)", false, false, false),
        new("gt-heatmaps", "w/ gt heatmaps", false, true, false),
        new("gt-heatmaps-offsets", "w/ gt heatmaps + offsets", false, true, true),
    ];
}
