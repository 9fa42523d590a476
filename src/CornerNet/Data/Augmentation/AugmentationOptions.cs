namespace CornerNet.Data;

/// <summary>
/// What <see cref="TrainingSampleBuilder"/> does to each training image. The defaults are the
/// paper's setting as the official <c>config/CornerNet.json</c> configures it.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>Network input width (official 511).</summary>
    public int InputWidth { get; init; } = 511;

    /// <summary>Network input height (official 511).</summary>
    public int InputHeight { get; init; } = 511;

    /// <summary>Random scale + crop (official <c>rand_crop</c>); when off, the whole image is padded to a square and
    /// resized.</summary>
    public bool RandomCrop { get; init; } = true;

    /// <summary>
    /// Without random crop: pad the image to a centred square before resizing (true: the original CornerNet's
    /// <c>_full_image_crop</c>) or resize it straight to the input size, aspect ratio lost (false: the CornerNet-Lite
    /// sampler).
    /// </summary>
    public bool FullImageCrop { get; init; } = true;

    /// <summary>Crop scales to choose from: the official <c>np.arange(0.6, 1.4, 0.1)</c> = 0.6, 0.7, …, 1.3.</summary>
    public IReadOnlyList<double> Scales { get; init; } = OfficialScales;

    /// <summary>Border that crop centres keep from the image edges, before <see cref="RandomScaleCrop.Border"/> shrinks
    /// it (official 128).</summary>
    public int Border { get; init; } = 128;

    /// <summary>Random horizontal flip with probability ½.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Brightness/contrast/saturation jitter (official <c>rand_color</c>).</summary>
    public bool ColorJitter { get; init; } = true;

    /// <summary>PCA lighting noise (official <c>lighting</c>).</summary>
    public bool Lighting { get; init; } = true;

    /// <summary>Mean/std normalisation (BGR).</summary>
    public ImageNormalization Normalization { get; init; } = ImageNormalization.Coco;

    /// <summary>0.6 + 0.1·i for i = 0..7, computed as numpy's arange does.</summary>
    public static IReadOnlyList<double> OfficialScales { get; } = Enumerable.Range(0, 8).Select(i => 0.6 + i * 0.1).ToArray();
}
