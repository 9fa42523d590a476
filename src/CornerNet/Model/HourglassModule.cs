using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// One hourglass (the official <c>kp_module</c>, Lite <c>hg_module</c>), recursive over levels, built from its
/// family's blocks. With widths d0, d1, … and module counts m0, m1, …: <c>up1</c> = m0 blocks at d0 (skip path);
/// <c>low1</c> = a stride-2 block d0→d1 then m0−1 blocks at d1 (down-sampling by strided convolution, no max-pooling,
/// as the paper's §3.5); <c>low2</c> = the next level, or m1 blocks at the innermost level; <c>low3</c> = m0−1 blocks at
/// d1 then one d1→d0; the result is <c>up1 + up2(low3)</c>, <c>up2</c> being the family's ×2 up-sampling.
/// </summary>
internal sealed class HourglassModule : NetworkBlock
{
    readonly Sequential up1;
    readonly Sequential low1;
    readonly nn.Module<Tensor, Tensor> low2;
    readonly Sequential low3;
    readonly nn.Module<Tensor, Tensor> up2;
    readonly NetworkFamily family;

    /// <summary>Creates an hourglass of <paramref name="family"/> with <paramref name="levels"/> downsamplings over
    /// <paramref name="dims"/> and <paramref name="modules"/>.</summary>
    public HourglassModule(NetworkFamily family, int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules)
        : base("hourglass_module")
    {
        this.family = family;
        int currDim = dims[0], nextDim = dims[1];
        int currMod = modules[0], nextMod = modules[1];

        up1 = Blocks(family, currDim, currDim, currMod, firstStride: 1);
        low1 = Blocks(family, currDim, nextDim, currMod, firstStride: 2);
        low2 = levels > 1
            ? new HourglassModule(family, levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray())
            : Blocks(family, nextDim, nextDim, nextMod, firstStride: 1);
        var revr = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < currMod - 1; i++) revr.Add(family.Block(nextDim, nextDim));
        revr.Add(family.Block(nextDim, currDim));
        low3 = nn.Sequential(revr);
        up2 = family.Upsample(currDim);
        RegisterComponents();
    }

    /// <summary>The official <c>make_layer</c>: the first block changes width (and stride), the rest keep
    /// it.</summary>
    static Sequential Blocks(NetworkFamily family, int inDim, int outDim, int count, int firstStride)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { family.Block(inDim, outDim, firstStride) };
        for (int i = 1; i < count; i++) layers.Add(family.Block(outDim, outDim));
        return nn.Sequential(layers);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var up = up1.forward(x);
        using var l1 = low1.forward(x);
        using var l2 = low2.forward(l1);
        using var l3 = low3.forward(l2);
        using var upsampled = up2.forward(l3);
        return up.add(upsampled, KeptScalars.One);
    }

    /// <inheritdoc/>
    internal override string Write(IOperatorGraph graph, string input)
    {
        string up = WriteBlocks(graph, up1, input);
        string l1 = WriteBlocks(graph, low1, input);
        string l2 = low2 is HourglassModule inner ? inner.Write(graph, l1) : WriteBlocks(graph, (Sequential)low2, l1);
        string l3 = WriteBlocks(graph, low3, l2);
        return graph.Add(up, family.WriteUpsample(graph, up2, l3));
    }

    /// <summary>Writes a <see cref="Sequential"/> of blocks, one after the other.</summary>
    internal static string WriteBlocks(IOperatorGraph graph, Sequential blocks, string x)
    {
        foreach (var block in blocks.children()) x = ((NetworkBlock)block).Write(graph, x);
        return x;
    }

    /// <summary>
    /// Counts the convolutions of an hourglass of <paramref name="family"/> on an <paramref name="h"/>×
    /// <paramref name="w"/> input (the same recursion as the constructor).
    /// </summary>
    internal static void Count(ConvolutionCount count, NetworkFamily family, int levels, IReadOnlyList<int> dims,
        IReadOnlyList<int> modules, int h, int w)
    {
        int curr = dims[0], next = dims[1], currMod = modules[0], nextMod = modules[1];
        for (int i = 0; i < currMod; i++) family.CountBlock(count, curr, curr, 1, h, w, h, w);
        var (lh, lw) = (ConvolutionCount.Strided(h, 3, 2), ConvolutionCount.Strided(w, 3, 2));
        family.CountBlock(count, curr, next, 2, h, w, lh, lw);
        for (int i = 1; i < currMod; i++) family.CountBlock(count, next, next, 1, lh, lw, lh, lw);
        if (levels > 1) Count(count, family, levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray(), lh, lw);
        else for (int i = 0; i < nextMod; i++) family.CountBlock(count, next, next, 1, lh, lw, lh, lw);
        for (int i = 1; i < currMod; i++) family.CountBlock(count, next, next, 1, lh, lw, lh, lw);
        family.CountBlock(count, next, curr, 1, lh, lw, lh, lw);
        family.CountUpsample(count, curr, lh, lw);
    }
}
