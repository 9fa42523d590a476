namespace CornerNet.Training;

/// <summary>How training targets are built: sizes, radius rule, object cap, penalty reduction.</summary>
/// <param name="Classes">Number of classes (heatmap channels).</param>
/// <param name="InputHeight">Network input height in pixels.</param>
/// <param name="InputWidth">Network input width in pixels.</param>
/// <param name="OutputHeight">Heatmap height.</param>
/// <param name="OutputWidth">Heatmap width.</param>
internal sealed record TargetOptions(int Classes, int InputHeight, int InputWidth, int OutputHeight, int OutputWidth)
{
    /// <summary>The official maximum number of objects per image with offset and embedding targets.</summary>
    public const int OfficialMaxObjects = 128;

    /// <summary>The radius rule; default today's official rule at t = 0.3.</summary>
    public RadiusSetting Radius { get; init; } = RadiusSetting.Official();

    /// <summary>
    /// Objects per image that get offset and embedding targets (default 128, as the official sampler). Objects past
    /// the cap are still drawn on the heatmaps and are counted in <see cref="CornerTargets.ObjectsBeyondCap"/>.
    /// </summary>
    public int MaxObjects { get; init; } = OfficialMaxObjects;

    /// <summary>
    /// True (default, the paper): Gaussians around each corner reduce the penalty of nearby negatives. False (the
    /// paper's ablation "w/o reducing penalty"): only the corner location is set, so every negative gets the full
    /// penalty — the official sampler's <c>gaussian_bump</c> off.
    /// </summary>
    public bool PenaltyReduction { get; init; } = true;

    /// <summary>The sizes with the paper's defaults: 511 × 511 input, 128 × 128 output.</summary>
    public static TargetOptions Paper(int classes) => new(classes, 511, 511, 128, 128);

    internal void Validate()
    {
        if (Classes <= 0) throw new ArgumentOutOfRangeException(nameof(Classes), $"classes must be > 0, got {Classes}");
        if (InputHeight <= 0 || InputWidth <= 0 || OutputHeight <= 0 || OutputWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(InputHeight), $"sizes must be > 0, got input {InputHeight}×{InputWidth}, output {OutputHeight}×{OutputWidth}");
        if (MaxObjects <= 0) throw new ArgumentOutOfRangeException(nameof(MaxObjects), $"max objects must be > 0, got {MaxObjects}");
        ArgumentNullException.ThrowIfNull(Radius);
    }
}
