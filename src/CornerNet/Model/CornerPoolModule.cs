using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>Which corner a <see cref="CornerPoolModule"/> predicts.</summary>
internal enum CornerKind
{
    /// <summary>Top-left corners: top pool + left pool.</summary>
    TopLeft,
    /// <summary>Bottom-right corners: bottom pool + right pool.</summary>
    BottomRight,
}

/// <summary>
/// The corner pooling module of the prediction module (paper Fig. 7; official <c>pool</c>): two 3×3 conv-BN-ReLU
/// branches (<c>p1_conv1</c>, <c>p2_conv1</c>, <see cref="CornerNetConfig.PoolDim"/> channels) pooled in the two
/// directions and summed, a 3×3 conv-BN (<c>p_conv1</c>, <c>p_bn1</c>) added to a 1×1 conv-BN projection of the input
/// (<c>conv1</c>, <c>bn1</c>), ReLU, and a 3×3 conv-BN-ReLU (<c>conv2</c>). With corner pooling switched off (the
/// paper's Table 1 ablation) the pools become identities and the parameters stay the same.
/// </summary>
internal sealed class CornerPoolModule : NetworkBlock
{
    readonly ConvolutionModule p1_conv1;
    readonly ConvolutionModule p2_conv1;
    readonly Conv2d p_conv1;
    readonly BatchNorm2dModule p_bn1;
    readonly Conv2d conv1;
    readonly BatchNorm2dModule bn1;
    readonly ConvolutionModule conv2;
    readonly CornerKind kind;
    readonly bool pooling;
    bool bnFolded;

    /// <summary>Creates the module for <paramref name="kind"/> corners on a <paramref name="dim"/>-channel feature
    /// map.</summary>
    public CornerPoolModule(CornerKind kind, long dim, long poolDim = 128, bool cornerPooling = true) : base("pool")
    {
        this.kind = kind;
        pooling = cornerPooling;
        p1_conv1 = new ConvolutionModule(3, dim, poolDim);
        p2_conv1 = new ConvolutionModule(3, dim, poolDim);
        p_conv1 = nn.Conv2d(poolDim, dim, 3, padding: 1, bias: false);
        p_bn1 = new BatchNorm2dModule(dim);
        conv1 = nn.Conv2d(dim, dim, 1, bias: false);
        bn1 = new BatchNorm2dModule(dim);
        conv2 = new ConvolutionModule(3, dim, dim);
        RegisterComponents();
    }

    /// <summary>Folds every BatchNorm into its convolution (inference only; see
    /// <see cref="BatchNormFolding"/>).</summary>
    internal override void FoldBatchNorm()
    {
        if (bnFolded) return;
        p1_conv1.FoldBatchNorm();
        p2_conv1.FoldBatchNorm();
        BatchNormFolding.Fold(p_conv1, p_bn1);
        BatchNormFolding.Fold(conv1, bn1);
        conv2.FoldBatchNorm();
        bnFolded = true;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var a = p1_conv1.forward(x);
        using var b = p2_conv1.forward(x);
        using var pooled = !pooling ? a.add(b, KeptScalars.One)
            : kind == CornerKind.TopLeft ? CornerPool.TopLeft(a, b) : CornerPool.BottomRight(a, b);
        using var pc = GuardedConvolution.Forward(p_conv1, pooled);
        using var pbn = bnFolded ? pc.alias() : p_bn1.forward(pc);
        using var c1 = GuardedConvolution.Forward(conv1, x);
        using var b1 = bnFolded ? c1.alias() : bn1.forward(c1);
        using var sum = pbn.add(b1, KeptScalars.One);
        using var relu = nn.functional.relu(sum);
        return conv2.forward(relu);
    }

    /// <inheritdoc/>
    internal override string Write(IOperatorGraph graph, string input)
    {
        bool towardEnd = kind == CornerKind.TopLeft;
        string a = p1_conv1.Write(graph, input);
        string b = p2_conv1.Write(graph, input);
        string pooled = !pooling
            ? graph.Add(a, b)
            : graph.Add(graph.RunningMax(a, axis: 2, towardEnd), graph.RunningMax(b, axis: 3, towardEnd));
        string projected = graph.Conv(conv1, input);
        string sum = graph.Add(graph.Conv(p_conv1, pooled), projected);
        return conv2.Write(graph, graph.Relu(sum));
    }
}
