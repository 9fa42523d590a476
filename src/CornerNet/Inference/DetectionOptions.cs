using CornerNet.Runtime;

namespace CornerNet.Inference;

/// <summary>
/// The test-time procedure: scales, flip, decoding, suppression and the per-image limit. The defaults are the official
/// single-scale configuration (config/CornerNet.json) with the official soft-NMS bugs fixed (see
/// <see cref="SoftNmsOptions"/>); <see cref="OfficialSingleScale"/> and <see cref="OfficialMultiScale"/> reproduce the
/// official code exactly.
/// </summary>
public sealed record DetectionOptions
{
    /// <summary>Test scales; detections of all scales are merged before suppression.</summary>
    public IReadOnlyList<double> Scales { get; init; } = [1.0];

    /// <summary>Also run the left-right mirror of each input and merge its detections (the official test always
    /// does).</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Corner decoding parameters; null: the model family's official ones
    /// (<see cref="DecodeOptions.For"/>).</summary>
    public DecodeOptions? Decode { get; init; }

    /// <summary>Suppression of overlapping detections per class.</summary>
    public SoftNmsOptions Nms { get; init; } = new();

    /// <summary>
    /// Detections kept per image: those scoring at least the MaxPerImage-th best score over all classes (ties at that
    /// score can keep a few more, as the official code does).
    /// </summary>
    public int MaxPerImage { get; init; } = 100;

    /// <summary>
    /// Longest image side the network sees at scale 1 (null: no limit). A larger image is downscaled to it before the
    /// network (every test scale is multiplied by the same factor) and its boxes are mapped back to the original
    /// pixels. The default, 1536, keeps Hourglass-104 with flip within about 9 GB (README, "Input limits").
    /// </summary>
    public int? MaxSize { get; init; } = DefaultMaxSize;

    /// <summary>
    /// The network's number format: float32 (default), bfloat16, or auto (bfloat16 where this CPU runs it natively and
    /// measurably faster, see <see cref="AutoPrecision"/>). Only TorchSharp models run bfloat16; the heads are
    /// converted to float32 right after the network, so decoding and soft-NMS always run in float32.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>
    /// The network's memory layout: auto (default; channels-last where this CPU measurably runs it faster, see
    /// <see cref="AutoLayout"/>), NCHW or channels-last. Detections are the same in every layout. Channels-last needs a
    /// network that only detects (BatchNorm folded, as <see cref="Detector"/> makes it); other networks run NCHW.
    /// </summary>
    public MemoryLayout Layout { get; init; } = MemoryLayout.Auto;

    /// <summary>The default <see cref="MaxSize"/>.</summary>
    public const int DefaultMaxSize = 1536;

    /// <summary>
    /// The factor (below 1) by which a <paramref name="width"/>×<paramref name="height"/> image is downscaled under
    /// <see cref="MaxSize"/>, or 1 when it fits.
    /// </summary>
    public double DownscaleFactor(int width, int height)
    {
        int side = Math.Max(width, height);
        return MaxSize is int max && side > max ? (double)max / side : 1.0;
    }

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming <paramref name="name"/> (the image file, or null) when a
    /// <paramref name="width"/>×<paramref name="height"/> image is so elongated that downscaling it under
    /// <see cref="MaxSize"/> leaves its short side below one pixel at the smallest scale.
    /// </summary>
    internal void RequireDownscalable(int width, int height, string? name)
    {
        double factor = DownscaleFactor(width, height);
        if (factor < 1 && (int)(Math.Min(width, height) * factor * Scales.Min()) < 1)
            throw new InvalidInputException(name, $"a {width}×{height} image is too elongated to downscale to a " +
                $"longest side of {MaxSize} pixels; detect it at full size with --max-size 0 " +
                "(DetectionOptions.MaxSize = null)");
    }

    /// <summary>The official config/CornerNet.json test, bugs included: scale 1, flip, Gaussian soft-NMS, all rows
    /// kept.</summary>
    public static DetectionOptions OfficialSingleScale => new() { Nms = SoftNmsOptions.Official(mergeBoxes: false, weightExp: 8f) };

    /// <summary>
    /// The official CornerNet-Lite configs/CornerNet_Squeeze.json test: scale 1, no flip, K 20, 100 detections,
    /// Gaussian soft-NMS, all rows kept.
    /// </summary>
    public static DetectionOptions OfficialSqueeze => new()
    {
        Flip = false,
        Decode = new DecodeOptions(K: 20, NumDets: 100),
        Nms = SoftNmsOptions.Official(mergeBoxes: false, weightExp: 8f),
    };

    /// <summary>
    /// The official config/CornerNet-multi_scale.json test, bugs included: scales 0.5–1.5, flip, Gaussian
    /// <c>soft_nms_merge</c> with weight exponent 10.
    /// </summary>
    public static DetectionOptions OfficialMultiScale => new()
    {
        Scales = [0.5, 0.75, 1.0, 1.25, 1.5],
        Nms = SoftNmsOptions.Official(mergeBoxes: true, weightExp: 10f),
    };

    /// <summary>Throws <see cref="ArgumentException"/> when an option cannot be used.</summary>
    public void Validate()
    {
        if (Scales.Count == 0 || Scales.Any(s => !(s > 0) || double.IsInfinity(s)))
            throw new ArgumentException("test scales must be a non-empty list of positive numbers", nameof(Scales));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPerImage, 1, nameof(MaxPerImage));
        if (MaxSize is int max) ArgumentOutOfRangeException.ThrowIfLessThan(max, 8, nameof(MaxSize));
        ArgumentNullException.ThrowIfNull(Nms, nameof(Nms));
        Decode?.Validate();
    }
}
