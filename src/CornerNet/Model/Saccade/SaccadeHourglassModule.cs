using CornerNet.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// One hourglass of CornerNet-Saccade (the Lite <c>saccade_module</c> with <c>CornerNet_Saccade</c>'s layers),
/// recursive over levels: <c>up1</c> = m0 residuals at d0; no max pooling (<c>max1</c> is empty); <c>low1</c> = a
/// stride-2 residual d0→d1 then m0−1 residuals; <c>low2</c> = the next level, or m1 residuals at the innermost
/// level; <c>low3</c> = m0−1 residuals then one d1→d0; the output is <c>up1 + nearest×2(low3)</c>. Unlike
/// <see cref="HourglassModule"/> it also returns every level's output (innermost first), which the attention heads
/// read.
/// </summary>
internal sealed class SaccadeHourglassModule : nn.Module<Tensor, Tensor>
{
    readonly Sequential up1;
    readonly Sequential low1;
    readonly nn.Module<Tensor, Tensor> low2;
    readonly Sequential low3;

    /// <summary>Creates an hourglass with <paramref name="levels"/> downsamplings over <paramref name="dims"/> and
    /// <paramref name="modules"/> (each <paramref name="levels"/> + 1 entries).</summary>
    public SaccadeHourglassModule(int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules)
        : base("saccade_module")
    {
        int currDim = dims[0], nextDim = dims[1], currMod = modules[0], nextMod = modules[1];
        up1 = Residuals(currDim, currDim, currMod, firstStride: 1);
        low1 = Residuals(currDim, nextDim, currMod, firstStride: 2);
        low2 = levels > 1
            ? new SaccadeHourglassModule(levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray())
            : Residuals(nextDim, nextDim, nextMod, firstStride: 1);
        var revr = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < currMod - 1; i++) revr.Add(new ResidualModule(nextDim, nextDim));
        revr.Add(new ResidualModule(nextDim, currDim));
        low3 = nn.Sequential(revr);
        RegisterComponents();
    }

    static Sequential Residuals(int inDim, int outDim, int count, int firstStride)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { new ResidualModule(inDim, outDim, firstStride) };
        for (int i = 1; i < count; i++) layers.Add(new ResidualModule(outDim, outDim));
        return nn.Sequential(layers);
    }

    /// <summary>The hourglass output (the last entry of <see cref="Levels"/>).</summary>
    public override Tensor forward(Tensor x)
    {
        var levels = Levels(x);
        for (int i = 0; i < levels.Count - 1; i++) levels[i].Dispose();
        return levels[^1];
    }

    /// <summary>
    /// The official <c>mergs</c>: the <c>up1 + up2</c> output of every level, innermost (coarsest) first; the last
    /// entry is the hourglass output. The caller owns the tensors.
    /// </summary>
    public List<Tensor> Levels(Tensor x)
    {
        using var up = up1.forward(x);
        using var l1 = low1.forward(x);
        List<Tensor> inner;
        Tensor l2;
        if (low2 is SaccadeHourglassModule next)
        {
            inner = next.Levels(l1);
            l2 = inner[^1];
        }
        else
        {
            inner = new List<Tensor>();
            l2 = low2.forward(l1);
        }
        using (inner.Count == 0 ? l2 : null)
        {
            using var l3 = low3.forward(l2);
            using var upsampled = nn.functional.interpolate(l3, scale_factor: new[] { 2.0, 2.0 },
                mode: InterpolationMode.Nearest);
            inner.Add(up.add(upsampled, KeptScalars.One));
        }
        return inner;
    }
}
