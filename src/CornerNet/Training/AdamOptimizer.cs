using CornerNet.Layers;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// Adam (Kingma &amp; Ba), the paper's optimizer, with the same update as PyTorch's <c>torch.optim.Adam</c>
/// (no weight decay, no amsgrad). Written here rather than taken from TorchSharp so that its state — step count and
/// the two moment tensors per parameter, keyed by parameter name — can be saved into and restored from a checkpoint
/// exactly, which <c>--resume</c> needs.
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    readonly List<(string Name, Tensor Param)> _parameters;
    readonly Dictionary<string, Tensor> _expAvg = new();
    readonly Dictionary<string, Tensor> _expAvgSq = new();

    /// <summary>The optimized parameters, in order.</summary>
    public IEnumerable<Tensor> Parameters => _parameters.Select(p => p.Param);

    /// <summary>Learning rate used by the next <see cref="Step"/>.</summary>
    public double LearningRate { get; set; }

    /// <summary>β1, β2 and ε (PyTorch defaults 0.9, 0.999, 1e-8).</summary>
    public double Beta1 { get; } = 0.9;

    /// <summary>See <see cref="Beta1"/>.</summary>
    public double Beta2 { get; } = 0.999;

    /// <summary>See <see cref="Beta1"/>.</summary>
    public double Epsilon { get; } = 1e-8;

    /// <summary>Number of updates done so far.</summary>
    public long StepCount { get; internal set; }

    /// <summary>Optimizes the trainable <paramref name="parameters"/> (name, tensor) with learning rate
    /// <paramref name="learningRate"/>.</summary>
    public AdamOptimizer(IEnumerable<(string Name, Tensor Param)> parameters, double learningRate)
    {
        _parameters = parameters.ToList();
        LearningRate = learningRate;
    }

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters)
        {
            // The usings keep p.grad's wrapper alive until zero_() returns (a SIGSEGV otherwise: docs/NATIVE.md).
            using var grad = p.grad;
            if (grad is null) continue;
            using var zeroed = grad.zero_();
        }
    }

    /// <summary>One Adam update from the current gradients (parameters without a gradient are skipped).</summary>
    public void Step()
    {
        StepCount++;
        double bias1 = 1 - Math.Pow(Beta1, StepCount);
        double bias2 = 1 - Math.Pow(Beta2, StepCount);
        // Scalars are created explicitly and held until the end of the step: TorchSharp's implicit conversions can be
        // freed by the GC while libtorch reads them (see CornerNet.Layers.KeptScalars).
        using var beta1 = Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var sqrtBias2 = Math.Sqrt(bias2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var negativeStep = (-LearningRate / bias1).ToScalar();
        using var _ = no_grad();
        foreach (var (name, p) in _parameters)
        {
            using var grad = p.grad;
            if (grad is null) continue;
            if (!_expAvg.TryGetValue(name, out var m))
            {
                // The moments live as long as the optimizer, never in the caller's dispose scope.
                m = _expAvg[name] = zeros_like(p).DetachFromDisposeScope();
                _expAvgSq[name] = zeros_like(p).DetachFromDisposeScope();
            }
            var v = _expAvgSq[name];
            m.mul_(beta1).add_(grad, oneMinusBeta1);
            v.mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            using var denom = v.sqrt();
            denom.div_(sqrtBias2).add_(epsilon, KeptScalars.One);
            p.addcdiv_(m, denom, negativeStep);
        }
    }

    /// <summary>Creates the (zero) moments of every parameter that has none yet, as the first <see cref="Step"/>
    /// would.</summary>
    internal void CreateState()
    {
        foreach (var (name, p) in _parameters)
        {
            if (_expAvg.ContainsKey(name)) continue;
            _expAvg[name] = zeros_like(p).DetachFromDisposeScope();
            _expAvgSq[name] = zeros_like(p).DetachFromDisposeScope();
        }
    }

    /// <summary>The optimizer state as named tensors (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>), for
    /// checkpoints.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors()
    {
        foreach (var (name, m) in _expAvg) yield return new("exp_avg." + name, m);
        foreach (var (name, v) in _expAvgSq) yield return new("exp_avg_sq." + name, v);
    }

    /// <summary>Restores the state written by <see cref="StateTensors"/> and the step count.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, long stepCount, string source)
    {
        Clear();
        StepCount = stepCount;
        using var _ = no_grad();
        foreach (var (name, p) in _parameters)
        {
            bool hasM = tensors.TryGetValue("exp_avg." + name, out var m);
            bool hasV = tensors.TryGetValue("exp_avg_sq." + name, out var v);
            if (!hasM && !hasV) continue;
            if (!hasM || !hasV || !m!.shape.SequenceEqual(p.shape) || !v!.shape.SequenceEqual(p.shape))
                throw new InvalidInputException(source, $"optimizer state for '{name}' is incomplete or mis-shaped");
            _expAvg[name] = m.to(p.dtype, p.device).clone().DetachFromDisposeScope();
            _expAvgSq[name] = v.to(p.dtype, p.device).clone().DetachFromDisposeScope();
        }
    }

    void Clear()
    {
        foreach (var t in _expAvg.Values.Concat(_expAvgSq.Values)) t.Dispose();
        _expAvg.Clear();
        _expAvgSq.Clear();
    }

    /// <summary>Releases the moment tensors.</summary>
    public void Dispose() => Clear();
}
