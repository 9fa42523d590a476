using CornerNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

public class AdamOptimizerTests
{
    static (Tensor W, Tensor X, Tensor Y) Problem()
    {
        manual_seed(7);
        return (randn(4, 3).requires_grad_(true), randn(16, 4), randn(16, 3));
    }

    [Fact]
    public void MatchesTorchAdamOverTenSteps()
    {
        using var scope = NewDisposeScope();
        var (w1, x, y) = Problem();
        var w2 = w1.detach().clone().requires_grad_(true);
        var ours = new AdamOptimizer(new[] { ("w", w1) }, 0.01);
        var reference = optim.Adam(new[] { new TorchSharp.Modules.Parameter(w2) }, 0.01);
        // TorchSharp's Adam needs a Parameter; keep a handle on the one it updates.
        var w2p = reference.parameters().First();
        for (int i = 0; i < 10; i++)
        {
            ours.ZeroGrad();
            (x.matmul(w1) - y).pow(2).mean().backward();
            ours.Step();
            reference.zero_grad();
            (x.matmul(w2p) - y).pow(2).mean().backward();
            reference.step();
        }
        double maxDiff = (w1 - w2p).abs().max().item<float>();
        Assert.True(maxDiff < 1e-6, $"max |Δ| = {maxDiff}");
    }

    [Fact]
    public void SavedStateResumesIdentically()
    {
        using var scope = NewDisposeScope();
        var (w, x, y) = Problem();
        var wResumed = w.detach().clone().requires_grad_(true);
        var straight = new AdamOptimizer(new[] { ("w", w) }, 0.01);
        void Train(AdamOptimizer opt, Tensor p, int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                opt.ZeroGrad();
                (x.matmul(p) - y).pow(2).mean().backward();
                opt.Step();
            }
        }
        Train(straight, w, 3);
        var first = new AdamOptimizer(new[] { ("w", wResumed) }, 0.01);
        using (no_grad()) wResumed.copy_(w);
        // Continue from a copy of the straight run's state: both must then follow the same path.
        var state = straight.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        first.LoadState(state, straight.StepCount, "test");
        Train(straight, w, 4);
        Train(first, wResumed, 4);
        Assert.True(w.Equals(wResumed));
    }
}
