namespace CornerNet.Inference;

/// <summary>
/// The settings of the CornerNet-Saccade test procedure (CornerNet-Lite <c>configs/CornerNet_Saccade.json</c> over
/// <c>core/dbs/detection.py</c>'s defaults). <see cref="Official"/> is the shipped configuration.
/// </summary>
internal sealed record SaccadeTestSettings
{
    /// <summary>Network input [height, width] of every pass (official 255 × 255).</summary>
    public int[] InputSize { get; init; } = [255, 255];

    /// <summary>Heatmap size [height, width] for <see cref="InputSize"/> (official 64 × 64).</summary>
    public int[] OutputSize { get; init; } = [64, 64];

    /// <summary>Longer sides of the downsized first-pass images (official [192, 255]).</summary>
    public int[] InitSizes { get; init; } = [192, 255];

    /// <summary>Whether confident first-pass (and round) detections become crop locations (official true).</summary>
    public bool ReferenceDetections { get; init; } = true;

    /// <summary>Attention threshold of each round: its length is the number of crop rounds (official [0.3]).</summary>
    public double[] AttentionThresholds { get; init; } = [0.3];

    /// <summary>Zoom of the next crop per attention level, per round (official [[1, 2, 4]]).</summary>
    public double[][] AttentionScales { get; init; } = [[1, 2, 4]];

    /// <summary>Most crops over all rounds (official 30).</summary>
    public int MaxCrops { get; init; } = 30;

    /// <summary>Stride of each attention map relative to the input, coarsest first (official [16, 8, 4]).</summary>
    public int[] AttentionRatios { get; init; } = [16, 8, 4];

    /// <summary>Max-pool window of the attention peak suppression per level (official [3, 3, 3]).</summary>
    public int[] AttentionNmsKernels { get; init; } = [3, 3, 3];

    /// <summary>The decode of every pass: K 12, 12 detections, ae 0.3, kernel 3, no_border.</summary>
    public DecodeOptions Decode { get; init; } = new(K: 12, Kernel: 3, AeThreshold: 0.3, NumDets: 12, NoBorder: true);

    /// <summary>Soft-NMS of the merged detections: Gaussian, σ 0.7, Nt 0.5, the official keep list.</summary>
    public SoftNmsOptions SoftNms { get; init; } = new() { Sigma = 0.7f, MoveCornerScoresWithBox = false };

    /// <summary>Most detections per image after soft-NMS (official 100).</summary>
    public int MaxPerImage { get; init; } = 100;

    /// <summary>The shipped configuration: one crop round without attention after the first pass.</summary>
    public static SaccadeTestSettings Official { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot be used with a network of
    /// <paramref name="attentionLevels"/> attention maps.</summary>
    public void Validate(int attentionLevels)
    {
        void Check(bool ok, string problem)
        {
            if (!ok) throw new ArgumentException($"Saccade test settings: {problem}");
        }
        Check(InputSize.Length == 2 && InputSize.All(s => s > 0), "input size needs two positive sides");
        Check(OutputSize.Length == 2 && OutputSize.All(s => s > 0), "output size needs two positive sides");
        Check(InitSizes.Length > 0 && InitSizes.All(s => s > 0), "init sizes need at least one positive size");
        Check(AttentionRatios.Length == attentionLevels, $"{AttentionRatios.Length} attention ratios for "
            + $"{attentionLevels} attention maps");
        Check(AttentionNmsKernels.Length == attentionLevels && AttentionNmsKernels.All(k => k > 0 && k % 2 == 1),
            "one odd attention NMS kernel per attention map");
        Check(AttentionScales.Length == AttentionThresholds.Length, "one attention scale list per threshold (round)");
        Check(AttentionScales.All(s => s.Length == attentionLevels), "one attention scale per attention map");
        Check(MaxCrops >= 0 && MaxPerImage > 0, "max crops must be ≥ 0 and max per image > 0");
        Decode.Validate();
    }
}
