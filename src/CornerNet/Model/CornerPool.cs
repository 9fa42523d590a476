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
        switch (direction)
        {
            case CornerPoolDirection.Bottom: return RunningMax(x, 2);
            case CornerPoolDirection.Right: return RunningMax(x, 3);
            case CornerPoolDirection.Top: return ReverseRunningMax(x, 2);
            case CornerPoolDirection.Left: return ReverseRunningMax(x, 3);
            default: throw new ArgumentOutOfRangeException(nameof(direction));
        }
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

    static Tensor RunningMax(Tensor x, long dim)
    {
        using var indices = ArgRunningMax(x, dim, reverse: false);
        return x.gather(dim, indices);
    }

    static Tensor ReverseRunningMax(Tensor x, long dim)
    {
        using var indices = ArgRunningMax(x, dim, reverse: true);
        return x.gather(dim, indices);
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
