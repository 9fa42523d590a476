namespace CornerNet.Data;

/// <summary>
/// The official training sampler's image path (<c>sample/coco.py kp_detection</c>), in its order:
/// random scale + crop (or full-image square crop, or nothing as in the CornerNet-Lite sampler), resize to the input
/// size, clip boxes, random horizontal flip, /255, colour jitter, PCA lighting, mean/std normalisation. Heatmap, offset
/// and embedding targets are built from the returned boxes elsewhere.
/// </summary>
internal sealed class TrainingSampleBuilder
{
    /// <summary>The options in use.</summary>
    public AugmentationOptions Options { get; }

    /// <summary>Creates a builder with <paramref name="options"/> (the paper's setting when omitted).</summary>
    public TrainingSampleBuilder(AugmentationOptions? options = null)
    {
        Options = options ?? new AugmentationOptions();
        if (Options.InputWidth <= 0 || Options.InputHeight <= 0)
            throw new ArgumentException($"input size must be positive, got {Options.InputWidth}×{Options.InputHeight}");
    }

    /// <summary>
    /// Augments one image. <paramref name="boxes"/> are (x1, y1, x2, y2) in <paramref name="image"/>'s pixels and
    /// <paramref name="classes"/> their class indices; the result is deterministic for a given state of
    /// <paramref name="random"/>. The input image is not modified.
    /// </summary>
    public TrainingSample Build(BgrImage image, IReadOnlyList<Box> boxes, IReadOnlyList<int> classes, Random random)
    {
        if (boxes.Count != classes.Count) throw new ArgumentException("boxes and classes differ in length");
        var o = Options;
        var (cropped, croppedBoxes) = o.RandomCrop
            ? RandomScaleCrop.Apply(image, boxes, o.Scales, o.InputWidth, o.InputHeight, o.Border, random)
            : o.FullImageCrop ? FullImageCrop.Apply(image, boxes) : (image, boxes.ToArray());
        var (resized, resizedBoxes) = BoxResize.Apply(cropped, croppedBoxes, o.InputWidth, o.InputHeight);
        var (clipped, keptClasses) = BoxClipping.Apply(resizedBoxes, classes, o.InputWidth, o.InputHeight);
        if (o.Flip && random.NextDouble() > 0.5)
        {
            // The resize returned a fresh image, so mirroring in place leaves the caller's pixels alone.
            HorizontalFlip.ApplyInPlace(resized);
            clipped = HorizontalFlip.FlipBoxes(clipped, resized.Width);
        }
        var values = FloatImage.FromBytes(resized);
        if (o.ColorJitter) ColorJitter.ApplyInPlace(values, random);
        if (o.Lighting) PcaLighting.ApplyInPlace(values, random);
        return new TrainingSample(o.Normalization.ToChw(values), o.InputWidth, o.InputHeight, clipped, keptClasses);
    }
}
