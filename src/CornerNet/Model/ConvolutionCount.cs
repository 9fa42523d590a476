namespace CornerNet.Model;

/// <summary>
/// The convolutions of one CornerNet forward, counted analytically from the architecture (nothing is built): their
/// weights (<c>C_in·C_out·k²/groups</c>; biases and BatchNorm, under 1 %, not counted) and their FLOPs
/// (<c>2·C_in·C_out·k²·H_out·W_out/groups</c>; a transposed convolution costs the multiply-adds it performs at its input
/// size; ReLU, pooling and nearest up-sampling are not counted). The walk is written once; the family counts its stem,
/// blocks and up-sampling.
/// </summary>
internal sealed class ConvolutionCount
{
    /// <summary>Convolution weights counted so far.</summary>
    public double Weights { get; private set; }

    /// <summary>Convolution FLOPs counted so far.</summary>
    public double Flops { get; private set; }

    /// <summary>Counts <paramref name="count"/> k×k convolutions whose output is <paramref name="h"/>×
    /// <paramref name="w"/>.</summary>
    public void Conv(double inDim, double outDim, int kernel, int h, int w, int count = 1, double groups = 1)
    {
        double weights = count * inDim * outDim * kernel * kernel / groups;
        Weights += weights;
        Flops += 2.0 * weights * h * w;
    }

    /// <summary>A residual block whose output is <paramref name="h"/>×<paramref name="w"/>: two 3×3 convolutions
    /// and a 1×1 skip convolution when it changes width or has stride 2 (<paramref name="stride2"/>).</summary>
    public void Residual(double inDim, double outDim, int h, int w, bool stride2)
    {
        Conv(inDim, outDim, 3, h, w);
        Conv(outDim, outDim, 3, h, w);
        if (stride2 || inDim != outDim) Conv(inDim, outDim, 1, h, w);
    }

    /// <summary>Output side of a "same"-padded k×k convolution with <paramref name="stride"/>.</summary>
    public static int Strided(int side, int kernel, int stride) => (side + 2 * ((kernel - 1) / 2) - kernel) / stride + 1;

    /// <summary>
    /// Counts the network of <paramref name="config"/> on a <paramref name="height"/>×<paramref name="width"/> image:
    /// the heads of the last stack (the test path) or of every stack (<paramref name="everyStack"/>: the training
    /// path, and the network's weights).
    /// </summary>
    public static ConvolutionCount Of(CornerNetConfig config, int height, int width, bool everyStack)
    {
        ArgumentNullException.ThrowIfNull(config);
        var count = new ConvolutionCount();
        var family = config.Family;
        var (h, w) = family.CountStem(count, config, height, width);
        int dim = config.Dims[0], cnv = config.CnvDim;
        for (int s = 0; s < config.Stacks; s++)
        {
            HourglassModule.Count(count, family, config.Levels, config.Dims, config.Modules, h, w);
            count.Conv(dim, cnv, 3, h, w);
            if (everyStack || s == config.Stacks - 1)
            {
                for (int corner = 0; corner < 2; corner++)
                {
                    // Corner pooling module: two pooling branches, the merge conv, the 1×1 projection, the last conv.
                    count.Conv(cnv, config.PoolDim, 3, h, w, count: 2);
                    count.Conv(config.PoolDim, cnv, 3, h, w);
                    count.Conv(cnv, cnv, 1, h, w);
                    count.Conv(cnv, cnv, 3, h, w);
                    // Heat, tag and offset heads: a k×k conv to dims[0], then 1×1 to the outputs.
                    foreach (int outputs in new[] { config.Classes, 1, 2 })
                    {
                        count.Conv(cnv, dim, family.HeadKernel, h, w);
                        count.Conv(dim, outputs, 1, h, w);
                    }
                }
            }
            if (s < config.Stacks - 1)
            {
                count.Conv(dim, dim, 1, h, w);
                count.Conv(cnv, dim, 1, h, w);
                count.Residual(dim, dim, h, w, stride2: false);
            }
        }
        return count;
    }
}
