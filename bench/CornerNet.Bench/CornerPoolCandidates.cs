using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Benchmarks;

/// <summary>
/// The two corner-pooling formulations the project considered, for timing forward + backward on the same input:
/// cummax on a flipped view (what <see cref="CornerPool"/> ships) and a log-step doubling scan of shifted maxima.
/// </summary>
internal static class CornerPoolCandidates
{
    /// <summary>Top pool by doubling: after step k every position holds the max of the next 2^k rows.</summary>
    public static Tensor DoublingTopPool(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        long h = x.shape[2];
        var y = x.alias();
        for (long shift = 1; shift < h; shift *= 2)
        {
            using var head = y.narrow(2, 0, h - shift);
            using var below = y.narrow(2, shift, h - shift);
            using var tail = y.narrow(2, h - shift, shift);
            // where() routes the gradient to one side on ties (the nearer one), like cummax.
            using var keep = head.ge(below);
            using var merged = where(keep, head, below);
            var next = cat(new[] { merged, tail }, 2);
            y.Dispose();
            y = next;
        }
        return y;
    }

    /// <summary>The candidates by name: <c>cummax</c> (shipped) and <c>doubling</c>, both as top pools.</summary>
    public static IReadOnlyList<(string Name, Func<Tensor, Tensor> Pool)> All { get; } =
    [
        ("cummax", x => CornerPool.Pool(x, CornerPoolDirection.Top)),
        ("doubling", DoublingTopPool),
    ];
}
