using CornerNet.Data;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The training targets of one CornerNet-Saccade sample, as the official sampler builds them: the corner targets of
/// the boxes that are mostly inside the crop and at least <see cref="MinScale"/> pixels long, valid masks that are 0
/// inside the Gaussians of the other boxes, and per attention level a map with a 1 at the centre cell of every box
/// (ignored ones too) whose longer side lies in the level's range.
/// </summary>
internal sealed class SaccadeTargets
{
    /// <summary>The official <c>min_scale</c>: shorter boxes are ignored (integer side lengths).</summary>
    public const int MinScale = 16;

    /// <summary>The official <c>gaussian_iou</c> of CornerNet-Saccade.</summary>
    public const double GaussianIou = 0.5;

    /// <summary>The official attention ranges of the longer box side per level (both ends inclusive).</summary>
    public static IReadOnlyList<(int Min, int Max)> OfficialAttentionRanges { get; } = [(96, 256), (32, 96), (0, 32)];

    /// <summary>The corner targets of the kept boxes.</summary>
    public required CornerTargets Corners { get; init; }

    /// <summary>Top-left valid mask, Classes × H × W.</summary>
    public required float[] TopLeftValid { get; init; }

    /// <summary>Bottom-right valid mask, Classes × H × W.</summary>
    public required float[] BottomRightValid { get; init; }

    /// <summary>Per level, the attention target (h × w, row-major) and its size.</summary>
    public required IReadOnlyList<(float[] Map, int Height, int Width)> Attention { get; init; }

    /// <summary>
    /// Builds the targets of <paramref name="sample"/>; <paramref name="options"/> gives classes and sizes (its radius
    /// should be the official rule at <see cref="GaussianIou"/>), <paramref name="ratios"/> the attention strides
    /// relative to the input, <paramref name="ranges"/> their box sizes.
    /// </summary>
    public static SaccadeTargets Build(SaccadeSample sample, TargetOptions options, IReadOnlyList<int> ratios,
        IReadOnlyList<(int Min, int Max)> ranges)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var targets = new List<int>();
        var ignored = new List<int>();
        for (int i = 0; i < sample.Boxes.Length; i++)
        {
            var b = sample.Boxes[i];
            int longer = Math.Max((int)b.Y2 - (int)b.Y1, (int)b.X2 - (int)b.X1);
            (sample.MostlyInside[i] && longer >= MinScale ? targets : ignored).Add(i);
        }
        var corners = CornerTargets.Build(targets.Select(i => sample.Boxes[i]).ToArray(),
            targets.Select(i => sample.Classes[i]).ToArray(), options);
        var cut = CornerTargets.Build(ignored.Select(i => sample.Boxes[i]).ToArray(),
            ignored.Select(i => sample.Classes[i]).ToArray(), options with { MaxObjects = Math.Max(1, ignored.Count) });

        var attention = new List<(float[], int, int)>();
        for (int level = 0; level < ratios.Count; level++)
        {
            int h = (options.InputHeight + ratios[level] - 1) / ratios[level];
            int w = (options.InputWidth + ratios[level] - 1) / ratios[level];
            var map = new float[h * w];
            foreach (var b in sample.Boxes)
            {
                float longer = Math.Max(b.X2 - b.X1, b.Y2 - b.Y1);
                if (longer < ranges[level].Min || longer > ranges[level].Max) continue;
                int x = (int)((b.X1 + b.X2) / 2 / ratios[level]), y = (int)((b.Y1 + b.Y2) / 2 / ratios[level]);
                map[y * w + x] = 1;
            }
            attention.Add((map, h, w));
        }
        return new SaccadeTargets
        {
            Corners = corners,
            TopLeftValid = cut.TopLeftHeatmap.Select(v => v == 0 ? 1f : 0f).ToArray(),
            BottomRightValid = cut.BottomRightHeatmap.Select(v => v == 0 ? 1f : 0f).ToArray(),
            Attention = attention,
        };
    }

    /// <summary>Stacks per-image targets (same options) into a batch.</summary>
    public static SaccadeTargetBatch Stack(IReadOnlyList<SaccadeTargets> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var o = images[0].Corners.Options;
        long n = images.Count, c = o.Classes, h = o.OutputHeight, w = o.OutputWidth;
        var attention = Enumerable.Range(0, images[0].Attention.Count).Select(level =>
        {
            var (_, ah, aw) = images[0].Attention[level];
            return tensor(images.SelectMany(t => t.Attention[level].Map).ToArray(), [n, 1, ah, aw]);
        }).ToArray();
        return new SaccadeTargetBatch(CornerTargetBatch.Stack(images.Select(t => t.Corners).ToArray()),
            tensor(images.SelectMany(t => t.TopLeftValid).ToArray(), [n, c, h, w]),
            tensor(images.SelectMany(t => t.BottomRightValid).ToArray(), [n, c, h, w]), attention);
    }
}
