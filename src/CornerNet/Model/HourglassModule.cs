using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// One hourglass (the official <c>kp_module</c>), recursive over levels. With widths d0, d1, … and module counts m0,
/// m1, …:
/// <c>up1</c> = m0 residuals at d0 (skip path); <c>low1</c> = a stride-2 residual d0→d1 then m0−1 residuals at d1
/// (downsampling by strided convolution, no max-pooling, as the paper's §3.5); <c>low2</c> = the next level, or m1
/// residuals at the innermost level; <c>low3</c> = m0−1 residuals at d1 then one d1→d0; the result is
/// <c>up1 + nearest-upsample×2(low3)</c>.
/// </summary>
internal sealed class HourglassModule : nn.Module<Tensor, Tensor>
{
    readonly Sequential up1;
    readonly Sequential low1;
    readonly nn.Module<Tensor, Tensor> low2;
    readonly Sequential low3;

    /// <summary>Creates an hourglass with <paramref name="levels"/> downsamplings over <paramref name="dims"/> and
    /// <paramref name="modules"/>.</summary>
    public HourglassModule(int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules) : base("kp_module")
    {
        int currDim = dims[0], nextDim = dims[1];
        int currMod = modules[0], nextMod = modules[1];

        up1 = Residuals(currDim, currDim, currMod, firstStride: 1);
        low1 = Residuals(currDim, nextDim, currMod, firstStride: 2);
        low2 = levels > 1
            ? new HourglassModule(levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray())
            : Residuals(nextDim, nextDim, nextMod, firstStride: 1);
        var revr = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < currMod - 1; i++) revr.Add(new ResidualModule(nextDim, nextDim));
        revr.Add(new ResidualModule(nextDim, currDim));
        low3 = nn.Sequential(revr);
        RegisterComponents();
    }

    /// <summary>The official <c>make_layer</c>: the first residual changes width (and stride), the rest keep
    /// it.</summary>
    static Sequential Residuals(int inDim, int outDim, int count, int firstStride)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { new ResidualModule(inDim, outDim, firstStride) };
        for (int i = 1; i < count; i++) layers.Add(new ResidualModule(outDim, outDim));
        return nn.Sequential(layers);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var up = up1.forward(x);
        using var l1 = low1.forward(x);
        using var l2 = low2.forward(l1);
        using var l3 = low3.forward(l2);
        using var upsampled = NearestUpsample2x(l3);
        return up.add(upsampled, KeptScalars.One);
    }

    /// <summary>Nearest-neighbour ×2 upsampling (the official <c>nn.Upsample(scale_factor=2)</c>).</summary>
    static Tensor NearestUpsample2x(Tensor x) =>
        nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);
}
