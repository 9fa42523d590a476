using CornerNet.Model;

namespace CornerNet.Benchmarks;

/// <summary>
/// Convolution FLOPs of one CornerNet forward, counted analytically from the architecture: every convolution costs
/// 2·C_in·C_out·k²·H_out·W_out / groups (biases, BatchNorm, ReLU, pooling and nearest upsampling are not counted); a
/// transposed convolution (CornerNet-Squeeze) costs 2·C_in·C_out·k²·H_in·W_in, the multiply-adds it performs. The test
/// path runs the heads of the last stack only; the training path runs the heads of every stack.
/// </summary>
internal static class ConvFlops
{
    /// <summary>FLOPs of the convolutions for one <paramref name="height"/>×<paramref name="width"/> image.</summary>
    public static double Count(CornerNetConfig config, int height, int width, bool trainingPath = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        var counter = new Counter();
        // Stem: 7×7 stride-2 conv module, then a stride-2 residual.
        var (h, w) = (Strided(height, 7, 2), Strided(width, 7, 2));
        counter.Conv(3, config.Stem[0], 7, h, w);
        (h, w) = (Strided(h, 3, 2), Strided(w, 3, 2));
        counter.Residual(config.Stem[0], config.Stem[1], h, w, projection: true);
        if (config.IsSqueeze)
        {
            (h, w) = (Strided(h, 3, 2), Strided(w, 3, 2));
            counter.Residual(config.Stem[1], config.Stem[1], h, w, projection: true);
        }
        int headKernel = config.IsSqueeze ? 1 : 3;

        int dim = config.Dims[0], cnv = config.CnvDim;
        for (int s = 0; s < config.Stacks; s++)
        {
            if (config.IsSqueeze) counter.SqueezeHourglass(config.Levels, config.Dims, config.Modules, h, w);
            else counter.Hourglass(config.Levels, config.Dims, config.Modules, h, w);
            counter.Conv(dim, cnv, 3, h, w);
            if (trainingPath || s == config.Stacks - 1)
            {
                for (int corner = 0; corner < 2; corner++)
                {
                    // Corner pooling module: two pooling branches, the merge conv, the 1×1 projection, the last conv.
                    counter.Conv(cnv, config.PoolDim, 3, h, w, count: 2);
                    counter.Conv(config.PoolDim, cnv, 3, h, w);
                    counter.Conv(cnv, cnv, 1, h, w);
                    counter.Conv(cnv, cnv, 3, h, w);
                    // Heat, tag and offset heads: 3×3 (Squeeze: 1×1) conv to dims[0], then 1×1 to the outputs.
                    foreach (int outputs in new[] { config.Classes, 1, 2 })
                    {
                        counter.Conv(cnv, dim, headKernel, h, w);
                        counter.Conv(dim, outputs, 1, h, w);
                    }
                }
            }
            if (s < config.Stacks - 1)
            {
                counter.Conv(dim, dim, 1, h, w);
                counter.Conv(cnv, dim, 1, h, w);
                counter.Residual(dim, dim, h, w, projection: false);
            }
        }
        return counter.Flops;
    }

    /// <summary>Output side of a "same"-padded k×k convolution with <paramref name="stride"/>.</summary>
    static int Strided(int side, int kernel, int stride) => (side + 2 * ((kernel - 1) / 2) - kernel) / stride + 1;

    sealed class Counter
    {
        public double Flops;

        public void Conv(long inDim, long outDim, int kernel, int h, int w, int count = 1, long groups = 1) =>
            Flops += count * 2.0 * inDim * outDim * kernel * kernel * h * w / groups;

        /// <summary>
        /// A fire module whose input is <paramref name="inH"/>×<paramref name="inW"/> and output h×w: the squeeze at
        /// the input resolution, the 1×1 and depthwise 3×3 expands at the output resolution.
        /// </summary>
        public void Fire(long inDim, long outDim, int inH, int inW, int h, int w)
        {
            Conv(inDim, outDim / 2, 1, inH, inW);
            Conv(outDim / 2, outDim / 2, 1, h, w);
            Conv(outDim / 2, outDim / 2, 3, h, w, groups: outDim / 2);
        }

        public void SqueezeHourglass(int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules, int h, int w)
        {
            int curr = dims[0], next = dims[1], currMod = modules[0], nextMod = modules[1];
            for (int i = 0; i < currMod; i++) Fire(curr, curr, h, w, h, w);
            var (lh, lw) = (Strided(h, 3, 2), Strided(w, 3, 2));
            Fire(curr, next, h, w, lh, lw);
            for (int i = 1; i < currMod; i++) Fire(next, next, lh, lw, lh, lw);
            if (levels > 1) SqueezeHourglass(levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray(), lh, lw);
            else for (int i = 0; i < nextMod; i++) Fire(next, next, lh, lw, lh, lw);
            for (int i = 1; i < currMod; i++) Fire(next, next, lh, lw, lh, lw);
            Fire(next, curr, lh, lw, lh, lw);
            // The 4×4 stride-2 transposed convolution back to h×w: every input position meets all 16 taps.
            Conv(curr, curr, 4, lh, lw);
        }

        /// <summary>A residual whose output is h×w (its first conv may have stride 2; the cost counts output
        /// positions).</summary>
        public void Residual(long inDim, long outDim, int h, int w, bool projection)
        {
            Conv(inDim, outDim, 3, h, w);
            Conv(outDim, outDim, 3, h, w);
            if (projection || inDim != outDim) Conv(inDim, outDim, 1, h, w);
        }

        public void Hourglass(int levels, IReadOnlyList<int> dims, IReadOnlyList<int> modules, int h, int w)
        {
            int curr = dims[0], next = dims[1], currMod = modules[0], nextMod = modules[1];
            for (int i = 0; i < currMod; i++) Residual(curr, curr, h, w, projection: false);
            var (lh, lw) = (Strided(h, 3, 2), Strided(w, 3, 2));
            Residual(curr, next, lh, lw, projection: true);
            for (int i = 1; i < currMod; i++) Residual(next, next, lh, lw, projection: false);
            if (levels > 1) Hourglass(levels - 1, dims.Skip(1).ToArray(), modules.Skip(1).ToArray(), lh, lw);
            else for (int i = 0; i < nextMod; i++) Residual(next, next, lh, lw, projection: false);
            for (int i = 1; i < currMod; i++) Residual(next, next, lh, lw, projection: false);
            Residual(next, curr, lh, lw, projection: false);
        }
    }
}
