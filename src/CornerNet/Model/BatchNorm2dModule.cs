using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// 2-D batch normalization with PyTorch's semantics and state-dict names (<c>weight</c>, <c>bias</c>,
/// <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>; ε 1e-5, momentum 0.1). Used instead of
/// TorchSharp's <c>BatchNorm2d</c>, whose training step increments <c>num_batches_tracked</c> with an implicit Scalar
/// that the GC can free mid-call (see <see cref="KeptScalars"/>); this one increments with a kept Scalar and otherwise
/// calls the same <c>batch_norm</c> kernel.
/// </summary>
internal sealed class BatchNorm2dModule : nn.Module<Tensor, Tensor>
{
    // Private setters: Module.to(dtype or device) replaces registered tensors through their properties.

    /// <summary>Scale γ.</summary>
    public Parameter weight { get; private set; }

    /// <summary>Shift β.</summary>
    public Parameter bias { get; private set; }

    /// <summary>Running mean used in eval mode.</summary>
    public Tensor running_mean { get; private set; }

    /// <summary>Running (unbiased) variance used in eval mode.</summary>
    public Tensor running_var { get; private set; }

    /// <summary>Number of training batches seen (int64 scalar).</summary>
    public Tensor num_batches_tracked { get; private set; }

    /// <summary>Added to the variance before the square root.</summary>
    public double eps { get; } = 1e-5;

    /// <summary>Weight of the current batch in the running statistics.</summary>
    public double momentum { get; } = 0.1;

    /// <summary>Creates the layer for <paramref name="features"/> channels (γ = 1, β = 0, mean 0, variance
    /// 1).</summary>
    public BatchNorm2dModule(long features) : base("BatchNorm2d")
    {
        // Module state must outlive any dispose scope the caller has open while building the network.
        weight = new Parameter(ones(features).DetachFromDisposeScope());
        bias = new Parameter(zeros(features).DetachFromDisposeScope());
        running_mean = zeros(features).DetachFromDisposeScope();
        running_var = ones(features).DetachFromDisposeScope();
        num_batches_tracked = zeros(Array.Empty<long>(), ScalarType.Int64).DetachFromDisposeScope();
        register_parameter("weight", weight);
        register_parameter("bias", bias);
        register_buffer("running_mean", running_mean);
        register_buffer("running_var", running_var);
        register_buffer("num_batches_tracked", num_batches_tracked);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (training)
        {
            using var _ = no_grad();
            num_batches_tracked.add_(KeptScalars.One, KeptScalars.One);
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
    }
}
