using CornerNet.Training;

namespace CornerNet.Experiments;

/// <summary>One training configuration of the ablation: a name and how it changes the baseline options.</summary>
sealed record Arm(string Name, string Description, Func<TrainOptions, TrainOptions> Apply)
{
    public static Arm Baseline { get; } = new("baseline", "corner pooling, object-dependent radius (official rule, t = 0.3)", o => o);

    public static Arm NoCornerPooling { get; } = new("no-corner-pooling", "identity instead of corner pooling (same parameters)",
        o => o with { Model = o.Model with { CornerPooling = false } });

    public static Arm NoPenaltyReduction { get; } = new("no-penalty-reduction", "no Gaussian penalty reduction (only the corner pixel is positive)",
        o => o with { PenaltyReduction = false });

    public static Arm FixedRadius { get; } = new("fixed-radius", "penalty reduction with a fixed radius 2.5 for all objects",
        o => o with { RadiusRule = "fixed", RadiusValue = GaussianRadius.PaperFixedRadius });

    /// <summary>The arms a paper table compares, in the table's row order.</summary>
    public static IReadOnlyList<Arm> ForTable(int table) => table switch
    {
        1 => [NoCornerPooling, Baseline],
        2 => [NoPenaltyReduction, FixedRadius, Baseline],
        3 => [Baseline],
        _ => throw new ArgumentException($"unknown table {table} (1, 2, 3)"),
    };
}
