using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The official <c>convolution</c> block: k×k convolution ("same" padding), BatchNorm, ReLU. Without BatchNorm the
/// convolution has a bias instead (the heads' first layer). State-dict keys: <c>conv.weight</c>, <c>conv.bias</c> (no
/// BN),
/// <c>bn.*</c>.
/// </summary>
internal sealed class ConvolutionModule : NetworkBlock
{
    readonly Conv2d conv;
    readonly BatchNorm2dModule? bn;
    bool bnFolded;

    /// <summary>Creates a k×k convolution from <paramref name="inDim"/> to <paramref name="outDim"/>
    /// channels.</summary>
    public ConvolutionModule(int kernel, long inDim, long outDim, int stride = 1, bool withBatchNorm = true)
        : base("convolution")
    {
        int pad = (kernel - 1) / 2;
        conv = nn.Conv2d(inDim, outDim, kernel, stride: stride, padding: pad, bias: !withBatchNorm);
        bn = withBatchNorm ? new BatchNorm2dModule(outDim) : null;
        RegisterComponents();
    }

    /// <summary>Folds the BatchNorm into the convolution (inference only; see
    /// <see cref="BatchNormFolding"/>).</summary>
    internal override void FoldBatchNorm()
    {
        if (bn is null || bnFolded) return;
        BatchNormFolding.Fold(conv, bn);
        bnFolded = true;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var c = GuardedConvolution.Forward(conv, x);
        if (bn is null || bnFolded) return nn.functional.relu(c);
        using var b = bn.forward(c);
        return nn.functional.relu(b);
    }

    /// <inheritdoc/>
    internal override string Write(IOperatorGraph graph, string input) => graph.Relu(graph.Conv(conv, input));
}
