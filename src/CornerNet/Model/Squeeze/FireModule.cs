using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The CornerNet-Squeeze <c>fire_module</c>: a 1×1 squeeze to half the output width with BatchNorm and no ReLU, then
/// a 1×1 and a depthwise 3×3 expand side by side (both with the stride), one BatchNorm over their concatenation, and a
/// ReLU of that plus the input when width and resolution stay (no skip path at all otherwise). Keys: <c>conv1</c>,
/// <c>bn1</c>, <c>conv_1x1</c>, <c>conv_3x3</c>, <c>bn2</c>.
/// </summary>
internal sealed class FireModule : NetworkBlock
{
    readonly Conv2d conv1;
    readonly BatchNorm2dModule bn1;
    readonly Conv2d conv_1x1;
    readonly Conv2d conv_3x3;
    readonly BatchNorm2dModule bn2;
    readonly bool hasSkip;
    bool bnFolded;

    /// <summary>Creates a fire module from <paramref name="inDim"/> to <paramref name="outDim"/> (even)
    /// channels.</summary>
    public FireModule(long inDim, long outDim, int stride = 1) : base("fire_module")
    {
        long squeezed = outDim / 2;
        conv1 = nn.Conv2d(inDim, squeezed, 1, bias: false);
        bn1 = new BatchNorm2dModule(squeezed);
        conv_1x1 = nn.Conv2d(squeezed, squeezed, 1, stride: stride, bias: false);
        conv_3x3 = nn.Conv2d(squeezed, squeezed, 3, stride: stride, padding: 1, groups: squeezed, bias: false);
        bn2 = new BatchNorm2dModule(outDim);
        hasSkip = stride == 1 && inDim == outDim;
        RegisterComponents();
    }

    /// <summary>
    /// Folds the BatchNorms into their convolutions (inference only; see <see cref="BatchNormFolding"/>): <c>bn1</c>
    /// into <c>conv1</c>, and each half of <c>bn2</c> into the expand convolution whose channels it normalizes.
    /// </summary>
    internal override void FoldBatchNorm()
    {
        if (bnFolded) return;
        BatchNormFolding.Fold(conv1, bn1);
        BatchNormFolding.Fold(conv_1x1, bn2, 0);
        BatchNormFolding.Fold(conv_3x3, bn2, conv_1x1.weight!.shape[0]);
        bnFolded = true;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        if (bnFolded) return FoldedForward(x);
        using var c1 = GuardedConvolution.Forward(conv1, x);
        using var squeezed = bn1.forward(c1);
        using var expand1 = GuardedConvolution.Forward(conv_1x1, squeezed);
        using var expand3 = GuardedConvolution.Forward(conv_3x3, squeezed);
        using var expanded = cat([expand1, expand3], 1);
        using var normalized = bn2.forward(expanded);
        if (!hasSkip) return nn.functional.relu(normalized);
        using var sum = normalized.add(x, KeptScalars.One);
        return nn.functional.relu(sum);
    }

    /// <inheritdoc/>
    internal override string Write(IOperatorGraph graph, string input)
    {
        string squeezed = graph.Conv(conv1, input);
        string expanded = graph.ConcatChannels(graph.Conv(conv_1x1, squeezed), graph.Conv(conv_3x3, squeezed));
        return graph.Relu(hasSkip ? graph.Add(expanded, input) : expanded);
    }

    Tensor FoldedForward(Tensor x)
    {
        using var squeezed = conv1.forward(x);
        using var expand1 = conv_1x1.forward(squeezed);
        using var expand3 = conv_3x3.forward(squeezed);
        // The concatenation is a fresh tensor, so the skip sum and ReLU can work in place.
        var expanded = cat([expand1, expand3], 1);
        if (hasSkip) expanded.add_(x, KeptScalars.One);
        return expanded.relu_();
    }
}
