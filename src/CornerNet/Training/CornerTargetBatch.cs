using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The targets of a batch as tensors, in the official sampler's layout: heatmaps N × C × H × W (float32), offsets
/// N × K × 2 (x, y; float32), corner indices N × K (int64, y·W + x), mask N × K (bool), K = max objects.
/// The tensors are created in the caller's dispose scope; <see cref="Dispose"/> releases them too.
/// </summary>
internal sealed class CornerTargetBatch : IDisposable
{
    /// <summary>Top-left heatmaps, N × C × H × W.</summary>
    public Tensor TopLeftHeatmaps { get; }

    /// <summary>Bottom-right heatmaps, N × C × H × W.</summary>
    public Tensor BottomRightHeatmaps { get; }

    /// <summary>Top-left offsets (x, y), N × K × 2.</summary>
    public Tensor TopLeftOffsets { get; }

    /// <summary>Bottom-right offsets (x, y), N × K × 2.</summary>
    public Tensor BottomRightOffsets { get; }

    /// <summary>Flat top-left corner indices y·W + x, N × K.</summary>
    public Tensor TopLeftIndices { get; }

    /// <summary>Flat bottom-right corner indices, N × K.</summary>
    public Tensor BottomRightIndices { get; }

    /// <summary>True for the objects of each image, N × K (bool).</summary>
    public Tensor Mask { get; }

    /// <summary>
    /// Wraps target tensors built elsewhere (e.g. read from a file); the batch takes ownership. Shapes are checked
    /// against each other; the mask may be bool or uint8.
    /// </summary>
    public CornerTargetBatch(Tensor tlHeat, Tensor brHeat, Tensor tlOffsets, Tensor brOffsets, Tensor tlIndices, Tensor brIndices, Tensor mask)
    {
        if (tlHeat.dim() != 4 || !tlHeat.shape.SequenceEqual(brHeat.shape))
            throw new ArgumentException($"heatmaps must both be N×C×H×W, got [{string.Join(", ", tlHeat.shape)}] and [{string.Join(", ", brHeat.shape)}]");
        if (mask.dim() != 2 || mask.shape[0] != tlHeat.shape[0])
            throw new ArgumentException($"mask must be N×K with N = {tlHeat.shape[0]}, got [{string.Join(", ", mask.shape)}]");
        long n = mask.shape[0], k = mask.shape[1];
        if (!tlIndices.shape.SequenceEqual(mask.shape) || !brIndices.shape.SequenceEqual(mask.shape)
            || !tlOffsets.shape.SequenceEqual(new[] { n, k, 2L }) || !brOffsets.shape.SequenceEqual(new[] { n, k, 2L }))
            throw new ArgumentException($"indices must be N×K and offsets N×K×2 with N×K = {n}×{k}");
        TopLeftHeatmaps = tlHeat;
        BottomRightHeatmaps = brHeat;
        TopLeftOffsets = tlOffsets;
        BottomRightOffsets = brOffsets;
        TopLeftIndices = tlIndices;
        BottomRightIndices = brIndices;
        Mask = mask.to_type(ScalarType.Bool);
        if (!ReferenceEquals(Mask, mask)) mask.Dispose();
    }

    /// <summary>
    /// Stacks per-image targets (all built with the same sizes, classes and max objects) into batch tensors on
    /// <paramref name="device"/> (CPU when null).
    /// </summary>
    public static CornerTargetBatch Stack(IReadOnlyList<CornerTargets> images, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("a batch needs at least one image", nameof(images));
        var first = images[0].Options;
        foreach (var image in images)
        {
            var o = image.Options;
            if (o.Classes != first.Classes || o.OutputHeight != first.OutputHeight || o.OutputWidth != first.OutputWidth || o.MaxObjects != first.MaxObjects)
                throw new ArgumentException("all images of a batch need the same classes, output size and max objects", nameof(images));
        }
        long n = images.Count, c = first.Classes, h = first.OutputHeight, w = first.OutputWidth, k = first.MaxObjects;
        device ??= CPU;
        return new CornerTargetBatch(
            tensor(Concat(images, t => t.TopLeftHeatmap), [n, c, h, w], device: device),
            tensor(Concat(images, t => t.BottomRightHeatmap), [n, c, h, w], device: device),
            tensor(Concat(images, t => t.TopLeftOffsets), [n, k, 2], device: device),
            tensor(Concat(images, t => t.BottomRightOffsets), [n, k, 2], device: device),
            tensor(Concat(images, t => t.TopLeftIndices), [n, k], device: device),
            tensor(Concat(images, t => t.BottomRightIndices), [n, k], device: device),
            tensor(Concat(images, t => t.Mask), [n, k], device: device));
    }

    static T[] Concat<T>(IReadOnlyList<CornerTargets> images, Func<CornerTargets, T[]> select)
    {
        int length = select(images[0]).Length;
        var all = new T[length * images.Count];
        for (int i = 0; i < images.Count; i++) select(images[i]).CopyTo(all, i * length);
        return all;
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        TopLeftHeatmaps.Dispose();
        BottomRightHeatmaps.Dispose();
        TopLeftOffsets.Dispose();
        BottomRightOffsets.Dispose();
        TopLeftIndices.Dispose();
        BottomRightIndices.Dispose();
        Mask.Dispose();
    }
}
