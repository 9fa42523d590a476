using CornerNet.Data;
namespace CornerNet.Training;

/// <summary>
/// The training targets of one image on the host, as the official sampler (<c>sample/coco.py kp_detection</c>) builds
/// them: per-class corner heatmaps, sub-pixel offsets (paper Eq. 2), flat corner indices for the embeddings, and a mask
/// of valid objects. Stack images into tensors with <see cref="CornerTargetBatch.Stack"/>.
/// </summary>
internal sealed class CornerTargets
{
    /// <summary>The options the targets were built with.</summary>
    public TargetOptions Options { get; }

    /// <summary>Top-left heatmaps, Classes × OutputHeight × OutputWidth, row-major.</summary>
    public float[] TopLeftHeatmap { get; }

    /// <summary>Bottom-right heatmaps, Classes × OutputHeight × OutputWidth, row-major.</summary>
    public float[] BottomRightHeatmap { get; }

    /// <summary>Top-left offsets (x, y), MaxObjects × 2, zero past the objects.</summary>
    public float[] TopLeftOffsets { get; }

    /// <summary>Bottom-right offsets (x, y), MaxObjects × 2, zero past the objects.</summary>
    public float[] BottomRightOffsets { get; }

    /// <summary>Flat top-left corner index y·OutputWidth + x per object, MaxObjects entries, zero past the
    /// objects.</summary>
    public long[] TopLeftIndices { get; }

    /// <summary>Flat bottom-right corner index per object, MaxObjects entries, zero past the objects.</summary>
    public long[] BottomRightIndices { get; }

    /// <summary>True for the first <see cref="ObjectCount"/> entries.</summary>
    public bool[] Mask { get; }

    /// <summary>Objects with offset and embedding targets (at most MaxObjects).</summary>
    public int ObjectCount { get; private set; }

    /// <summary>
    /// Objects past MaxObjects: drawn on the heatmaps but without offset and embedding targets (the official sampler
    /// would fail with IndexError). Non-zero means the caller should warn.
    /// </summary>
    public int ObjectsBeyondCap { get; private set; }

    CornerTargets(TargetOptions options)
    {
        Options = options;
        int mapSize = options.Classes * options.OutputHeight * options.OutputWidth;
        TopLeftHeatmap = new float[mapSize];
        BottomRightHeatmap = new float[mapSize];
        TopLeftOffsets = new float[options.MaxObjects * 2];
        BottomRightOffsets = new float[options.MaxObjects * 2];
        TopLeftIndices = new long[options.MaxObjects];
        BottomRightIndices = new long[options.MaxObjects];
        Mask = new bool[options.MaxObjects];
    }

    /// <summary>
    /// Builds the targets of one image from its boxes in network-input pixels (after augmentation and clipping) and
    /// their 0-based classes, in order. For each box: corner =
    /// (int)(x·ratio) with ratio = output / input size per axis, offset = the fraction dropped, radius from the box
    /// size in output pixels <c>(ceil(h·ratio), ceil(w·ratio))</c> by <see cref="TargetOptions.Radius"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A box is not finite, has x2 &lt; x1 or y2 &lt; y1, has a corner that maps
    /// outside the output map, or has a class outside [0, Classes).</exception>
    public static CornerTargets Build(IReadOnlyList<Box> boxes, IReadOnlyList<int> classes, TargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count != boxes.Count) throw new ArgumentException($"{boxes.Count} boxes with {classes.Count} classes", nameof(classes));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var targets = new CornerTargets(options);
        int outH = options.OutputHeight, outW = options.OutputWidth;
        double widthRatio = (double)outW / options.InputWidth;
        double heightRatio = (double)outH / options.InputHeight;
        int count = 0;
        for (int i = 0; i < boxes.Count; i++)
        {
            // The official sampler's boxes are float32; the arithmetic below is float64, as numpy's with Python floats.
            var box = boxes[i];
            int classIndex = classes[i];
            Check(box, classIndex, i, options);
            double fxtl = box.X1 * widthRatio, fytl = box.Y1 * heightRatio;
            double fxbr = box.X2 * widthRatio, fybr = box.Y2 * heightRatio;
            int xtl = (int)fxtl, ytl = (int)fytl, xbr = (int)fxbr, ybr = (int)fybr;
            if (xbr >= outW || ybr >= outH)
                throw new ArgumentException($"box {i} ({box.X1}, {box.Y1}, {box.X2}, {box.Y2}) maps outside the {outH}×{outW} output map; clip boxes to the input first", nameof(boxes));

            int mapOffset = classIndex * outH * outW;
            if (options.PenaltyReduction)
            {
                double height = Math.Ceiling((box.Y2 - box.Y1) * heightRatio);
                double width = Math.Ceiling((box.X2 - box.X1) * widthRatio);
                int radius = options.Radius.DrawnRadius(height, width);
                GaussianHeatmap.Draw(targets.TopLeftHeatmap, mapOffset, outH, outW, xtl, ytl, radius);
                GaussianHeatmap.Draw(targets.BottomRightHeatmap, mapOffset, outH, outW, xbr, ybr, radius);
            }
            else
            {
                GaussianHeatmap.DrawPeak(targets.TopLeftHeatmap, mapOffset, outH, outW, xtl, ytl);
                GaussianHeatmap.DrawPeak(targets.BottomRightHeatmap, mapOffset, outH, outW, xbr, ybr);
            }

            if (count == options.MaxObjects) continue;
            targets.TopLeftOffsets[2 * count] = (float)(fxtl - xtl);
            targets.TopLeftOffsets[2 * count + 1] = (float)(fytl - ytl);
            targets.BottomRightOffsets[2 * count] = (float)(fxbr - xbr);
            targets.BottomRightOffsets[2 * count + 1] = (float)(fybr - ybr);
            targets.TopLeftIndices[count] = (long)ytl * outW + xtl;
            targets.BottomRightIndices[count] = (long)ybr * outW + xbr;
            targets.Mask[count] = true;
            count++;
        }
        targets.ObjectCount = count;
        targets.ObjectsBeyondCap = boxes.Count - count;
        return targets;
    }

    static void Check(Box box, int classIndex, int index, TargetOptions options)
    {
        if (!float.IsFinite(box.X1) || !float.IsFinite(box.Y1) || !float.IsFinite(box.X2) || !float.IsFinite(box.Y2))
            throw new ArgumentException($"box {index} has a non-finite coordinate ({box.X1}, {box.Y1}, {box.X2}, {box.Y2})", "boxes");
        if (box.X1 < 0 || box.Y1 < 0 || box.X2 < box.X1 || box.Y2 < box.Y1)
            throw new ArgumentException($"box {index} ({box.X1}, {box.Y1}, {box.X2}, {box.Y2}) must satisfy 0 ≤ x1 ≤ x2 and 0 ≤ y1 ≤ y2", "boxes");
        if (classIndex < 0 || classIndex >= options.Classes)
            throw new ArgumentException($"box {index} has class {classIndex}, expected 0..{options.Classes - 1}", "classes");
    }
}
