using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Bench;

/// <summary>
/// The two corner-pooling formulations the project considered, timed forward + backward on the same input:
/// cummax on a flipped view (what <see cref="CornerPool"/> ships) and a log-step doubling scan of shifted maxima.
/// </summary>
public static class CornerPoolCandidates
{
    /// <summary>Top pool by doubling: after step k every position holds the max of the next 2^k rows.</summary>
    public static Tensor DoublingTopPool(Tensor x)
    {
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

    /// <summary>Times both candidates at N×C×H×W forward + backward; prints and returns the measurements.</summary>
    public static IReadOnlyList<Measurement> Run(long n = 1, long c = 128, long h = 128, long w = 128, int runs = 7)
    {
        manual_seed(0);
        using var input = randn(n, c, h, w);
        using var gradOut = randn(n, c, h, w);
        Measurement Time(string name, Func<Tensor, Tensor> pool) => Measurement.Of(name, () =>
        {
            using var scope = NewDisposeScope();
            var x = input.detach().requires_grad_(true);
            var y = pool(x);
            y.backward(new[] { gradOut });
        }, warmup: 2, runs: runs);
        var results = new List<Measurement>
        {
            Time($"corner_pool_cummax_{n}x{c}x{h}x{w}", x => CornerPool.Pool(x, CornerPoolDirection.Top)),
            Time($"corner_pool_doubling_{n}x{c}x{h}x{w}", DoublingTopPool),
        };
        foreach (var r in results) Console.WriteLine(r);
        return results;
    }
}
