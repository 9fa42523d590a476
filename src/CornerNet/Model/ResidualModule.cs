using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The official <c>residual</c> block: 3×3 conv-BN-ReLU, 3×3 conv-BN, plus a skip path (1×1 conv-BN when the stride
/// is not 1 or the widths differ, identity otherwise), then ReLU. Keys: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>,
/// <c>bn2</c>, <c>skip.0</c> (conv), <c>skip.1</c> (BN).
/// </summary>
internal sealed class ResidualModule : NetworkBlock
{
    readonly Conv2d conv1;
    readonly BatchNorm2dModule bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2dModule bn2;
    readonly Sequential? skip;
    bool bnFolded;

    /// <summary>Creates a residual block from <paramref name="inDim"/> to <paramref name="outDim"/> channels.</summary>
    public ResidualModule(long inDim, long outDim, int stride = 1) : base("residual")
    {
        conv1 = nn.Conv2d(inDim, outDim, 3, stride: stride, padding: 1, bias: false);
        bn1 = new BatchNorm2dModule(outDim);
        conv2 = nn.Conv2d(outDim, outDim, 3, padding: 1, bias: false);
        bn2 = new BatchNorm2dModule(outDim);
        skip = stride != 1 || inDim != outDim
            ? nn.Sequential(nn.Conv2d(inDim, outDim, 1, stride: stride, bias: false), new BatchNorm2dModule(outDim))
            : null;
        RegisterComponents();
    }

    /// <summary>Folds the three BatchNorms into their convolutions (inference only; see
    /// <see cref="BatchNormFolding"/>).</summary>
    internal override void FoldBatchNorm()
    {
        if (bnFolded) return;
        BatchNormFolding.Fold(conv1, bn1);
        BatchNormFolding.Fold(conv2, bn2);
        if (skip is not null) BatchNormFolding.Fold((Conv2d)skip[0], (BatchNorm2dModule)skip[1]);
        bnFolded = true;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        if (bnFolded) return FoldedForward(x);
        using var c1 = GuardedConvolution.Forward(conv1, x);
        using var b1 = bn1.forward(c1);
        using var r1 = nn.functional.relu(b1);
        using var c2 = GuardedConvolution.Forward(conv2, r1);
        using var b2 = bn2.forward(c2);
        using var s = skip is null ? x.alias() : SkipForward(x);
        using var sum = b2.add(s, KeptScalars.One);
        return nn.functional.relu(sum);
    }

    /// <inheritdoc/>
    internal override string Write(IOperatorGraph graph, string input)
    {
        string c1 = graph.Relu(graph.Conv(conv1, input));
        string c2 = graph.Conv(conv2, c1);
        string s = skip is null ? input : graph.Conv((Conv2d)skip[0], input);
        return graph.Relu(graph.Add(c2, s));
    }

    Tensor SkipForward(Tensor x)
    {
        using var c = GuardedConvolution.Forward((Conv2d)skip![0], x);
        return ((BatchNorm2dModule)skip[1]).forward(c);
    }

    Tensor FoldedForward(Tensor x)
    {
        // The conv outputs are fresh tensors (or views of fresh ones), so ReLU and the skip sum can work in place.
        using var c1 = GuardedConvolution.Forward(conv1, x);
        c1.relu_();
        var c2 = GuardedConvolution.Forward(conv2, c1);
        using var s = skip is null ? x.alias() : GuardedConvolution.Forward((Conv2d)skip[0], x);
        c2.add_(s, KeptScalars.One).relu_();
        return c2;
    }
}
