using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// One CornerNet-Squeeze hourglass (the Lite <c>hg_module</c>), recursive over levels, with fire modules in place of
/// residuals: <c>up1</c> = m0 fire modules at d0; <c>low1</c> = a stride-2 fire module d0→d1 then m0−1 at d1;
/// <c>low2</c> = the next level, or m1 fire modules at the innermost level; <c>low3</c> = m0−1 at d1 then one d1→d0;
/// <c>up2</c> = a 4×4 stride-2 transposed convolution (with bias) at d0; the result is <c>up1 + up2(low3)</c>.
/// </summary>
internal sealed class SqueezeHourglassModule : nn.Module<Tensor, Tensor>
{
    readonly Sequential up1;
    readonly Sequential low1;
    readonly nn.Module<Tensor, Tensor> low2;
    readonly Sequential low3;
    readonly ConvTranspose2d up2;

    /// <summary>Creates an hourglass with <paramref name="levels"/> downsamplings over <paramref name="dims"/> and
    /// <paramref name="modules"/>.</summary>
    public SqueezeHourglassModule(int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules) : base("hg_module")
    {
        int currDim = dims[0], nextDim = dims[1];
        int currMod = modules[0], nextMod = modules[1];

        up1 = FireModules(currDim, currDim, currMod, firstStride: 1);
        low1 = FireModules(currDim, nextDim, currMod, firstStride: 2);
        low2 = levels > 1
            ? new SqueezeHourglassModule(levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray())
            : FireModules(nextDim, nextDim, nextMod, firstStride: 1);
        var revr = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < currMod - 1; i++) revr.Add(new FireModule(nextDim, nextDim));
        revr.Add(new FireModule(nextDim, currDim));
        low3 = nn.Sequential(revr);
        up2 = nn.ConvTranspose2d(currDim, currDim, 4, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <summary>The Lite <c>make_layer</c> / <c>make_hg_layer</c>: the first fire module changes width (and stride),
    /// the rest keep it.</summary>
    static Sequential FireModules(int inDim, int outDim, int count, int firstStride)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { new FireModule(inDim, outDim, firstStride) };
        for (int i = 1; i < count; i++) layers.Add(new FireModule(outDim, outDim));
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
}
