using CornerNet.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>The four directional corner pools of the paper (§3.4, Eq. 6–7).</summary>
internal enum CornerPoolDirection
{
    /// <summary>Max over the rows at and below each position (looks down; used for top-left corners).</summary>
    Top,
    /// <summary>Max over the columns at and right of each position (looks right; used for top-left corners).</summary>
    Left,
    /// <summary>Max over the rows at and above each position (looks up; used for bottom-right corners).</summary>
    Bottom,
    /// <summary>Max over the columns at and left of each position (looks left; used for bottom-right
    /// corners).</summary>
    Right,
}

/// <summary>
/// Corner pooling on N×C×H×W tensors as running maxima along one axis, with <c>cummax</c> (on a flipped view for top
/// and left). The gradient follows <c>torch.cummax</c>: each output sends its gradient to the input that holds its
/// maximum, and at ties to the tied element nearest the output position (the official C++ extension picks the farthest;
/// both are valid subgradients, and ties have measure zero in training).
/// </summary>
internal static class CornerPool
{
    /// <summary>Pools <paramref name="x"/> (N×C×H×W) in <paramref name="direction"/>.</summary>
    public static Tensor Pool(Tensor x, CornerPoolDirection direction)
    {
        var (dim, reverse) = direction switch
        {
            CornerPoolDirection.Bottom => (2L, false),
            CornerPoolDirection.Right => (3L, false),
            CornerPoolDirection.Top => (2L, true),
            CornerPoolDirection.Left => (3L, true),
            _ => throw new ArgumentOutOfRangeException(nameof(direction)),
        };
        if (!x.requires_grad) return x.stride((int)dim) == 1 ? RunningMaxValues(x, dim, reverse) : RunningMaxInPlace(x.clone(), dim, reverse);
        using var indices = ArgRunningMax(x, dim, reverse);
        return x.gather(dim, indices);
    }

    /// <summary>Top-left corner pooling of the paper: TopPool(<paramref name="forTop"/>) +
    /// LeftPool(<paramref name="forLeft"/>).</summary>
    public static Tensor TopLeft(Tensor forTop, Tensor forLeft)
    {
        using var top = Pool(forTop, CornerPoolDirection.Top);
        using var left = Pool(forLeft, CornerPoolDirection.Left);
        return top.add(left, KeptScalars.One);
    }

    /// <summary>Bottom-right corner pooling: BottomPool(<paramref name="forBottom"/>) +
    /// RightPool(<paramref name="forRight"/>).</summary>
    public static Tensor BottomRight(Tensor forBottom, Tensor forRight)
    {
        using var bottom = Pool(forBottom, CornerPoolDirection.Bottom);
        using var right = Pool(forRight, CornerPoolDirection.Right);
        return bottom.add(right, KeptScalars.One);
    }

    // Without autograd only the values are needed. Along a contiguous axis: cummax's own values.
    static Tensor RunningMaxValues(Tensor x, long dim, bool reverse)
    {
        if (!reverse) return cummax(x, dim).values;
        using var flipped = x.flip(dim);
        var (values, indices) = cummax(flipped, dim);
        indices.Dispose();
        using (values) return values.flip(dim);
    }

    // Along a strided axis: one slice at a time, each the maximum of itself and its neighbour already pooled; the same
    // values as cummax, several times faster there (docs/NATIVE.md, "Corner pooling").
    static Tensor RunningMaxInPlace(Tensor y, long dim, bool reverse)
    {
        long length = y.shape[dim];
        for (long step = 1; step < length; step++)
        {
            long at = reverse ? length - 1 - step : step;
            using var slice = y.narrow(dim, at, 1);
            using var pooled = y.narrow(dim, reverse ? at + 1 : at - 1, 1);
            using var larger = maximum(slice, pooled);
            slice.copy_(larger);
        }
        return y;
    }

    /// <summary>
    /// Positions of the running maxima, found without autograd; the result is then a plain gather, whose backward
    /// (scatter-add to the arg-max) is the pooling gradient. For the reverse direction the scan runs on a flipped copy
    /// and its indices are mapped back.
    /// </summary>
    static Tensor ArgRunningMax(Tensor x, long dim, bool reverse)
    {
        using var _ = no_grad();
        using var source = reverse ? x.detach().flip(dim) : x.detach();
        var (values, indices) = torch.cummax(source, dim);
        values.Dispose();
        if (!reverse) return indices;
        using (indices)
        using (var flippedBack = indices.flip(dim))
        using (var last = (x.shape[dim] - 1).ToScalar())
            return flippedBack.neg().add_(last, KeptScalars.One);
    }
}
