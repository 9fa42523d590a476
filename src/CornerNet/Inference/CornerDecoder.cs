using CornerNet.Layers;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// Turns CornerNet's raw head outputs into scored corner pairs exactly as the official <c>_decode</c>
/// (models/py_utils/kp_utils.py): sigmoid heatmaps, max-pool suppression of non-peaks, the top K corners over
/// class × position, offsets added, then every top-left × bottom-right pair scored by the mean of its two corner
/// scores and rejected (score −1) when the classes differ, the embeddings are farther apart than the threshold, or
/// the bottom-right corner lies left of or above the top-left one. Runs on the device of its inputs.
/// </summary>
internal sealed class CornerDecoder
{
    /// <summary>Columns of a decoded detection: x1, y1, x2, y2, score, tl score, br score, class.</summary>
    public const int Columns = 8;

    /// <summary>Creates a decoder; <paramref name="options"/> defaults to the official test settings.</summary>
    public CornerDecoder(DecodeOptions? options = null)
    {
        Options = options ?? new DecodeOptions();
        Options.Validate();
    }

    /// <summary>The decoding parameters.</summary>
    public DecodeOptions Options { get; }

    /// <summary>
    /// Decodes a batch: N×NumDets×8 rows in the heads' floating type (float32 for the official model) (x1, y1, x2, y2,
    /// score, tl score, br score, class as a float), in output-map coordinates, best score first; rejected pairs have
    /// score −1 and come in unspecified order. K is limited to C·H·W and NumDets to K² when the maps are too small for
    /// them (the official code fails there).
    /// </summary>
    public Tensor Decode(HeadOutputs heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        using var scope = NewDisposeScope();
        long n = heads.TlHeats.shape[0], c = heads.TlHeats.shape[1], h = heads.TlHeats.shape[2], w = heads.TlHeats.shape[3];
        int k = (int)Math.Min(Options.K, c * h * w);
        int numDets = (int)Math.Min(Options.NumDets, (long)k * k);

        var tl = TopK(SigmoidPeaks(heads.TlHeats, Options.Kernel), k);
        var br = TopK(SigmoidPeaks(heads.BrHeats, Options.Kernel), k);

        // Scalars are explicit and held to the end of the call: TorchSharp's implicit ones (also the hidden alpha of
        // Tensor + Tensor) can be freed by the GC while libtorch reads them (see KeptScalars).
        var one = KeptScalars.One;
        using var aeThreshold = Options.AeThreshold.ToScalar();
        using var rejectedScore = (-1).ToScalar();
        using var two = 2.ToScalar();

        var tlRegr = GatherAtCorners(heads.TlRegrs, tl.Indices);
        var brRegr = GatherAtCorners(heads.BrRegrs, br.Indices);
        // Rows index the top-left corner, columns the bottom-right one.
        var tlXs = tl.Xs.add(tlRegr.select(1, 0), one).view(n, k, 1).expand(n, k, k);
        var tlYs = tl.Ys.add(tlRegr.select(1, 1), one).view(n, k, 1).expand(n, k, k);
        var brXs = br.Xs.add(brRegr.select(1, 0), one).view(n, 1, k).expand(n, k, k);
        var brYs = br.Ys.add(brRegr.select(1, 1), one).view(n, 1, k).expand(n, k, k);
        var boxes = stack(new[] { tlXs, tlYs, brXs, brYs }, 3).view(n, (long)k * k, 4);

        var tlTags = GatherAtCorners(heads.TlTags, tl.Indices).view(n, k, 1);
        var brTags = GatherAtCorners(heads.BrTags, br.Indices).view(n, 1, k);
        var distances = (tlTags - brTags).abs();

        var tlScores = tl.Scores.view(n, k, 1).expand(n, k, k);
        var brScores = br.Scores.view(n, 1, k).expand(n, k, k);
        var tlClasses = tl.Classes.view(n, k, 1).expand(n, k, k);
        var brClasses = br.Classes.view(n, 1, k).expand(n, k, k);

        var rejected = tlClasses.ne(brClasses)
            .logical_or(distances.gt(aeThreshold))
            .logical_or(brXs.lt(tlXs))
            .logical_or(brYs.lt(tlYs));
        if (Options.NoBorder)
        {
            // Integer corner positions, before the offsets are added.
            using var zero = 0.ToScalar();
            using var lastRow = (h - 1).ToScalar();
            using var lastColumn = (w - 1).ToScalar();
            var tlBorder = tl.Ys.eq(zero).logical_or(tl.Xs.eq(zero)).view(n, k, 1);
            var brBorder = br.Ys.eq(lastRow).logical_or(br.Xs.eq(lastColumn)).view(n, 1, k);
            rejected = rejected.logical_or(tlBorder).logical_or(brBorder);
        }
        var scores = tlScores.add(brScores, one).div_(two).masked_fill(rejected, rejectedScore).view(n, (long)k * k);

        var (topScores, topInds) = scores.topk(numDets, dim: 1);
        var pickedBoxes = boxes.gather(1, topInds.unsqueeze(2).expand(n, numDets, 4));
        Tensor Pick(Tensor pairs) => pairs.reshape(n, (long)k * k).gather(1, topInds).to_type(boxes.dtype).unsqueeze(2);

        var detections = cat(new[] { pickedBoxes, topScores.unsqueeze(2), Pick(tlScores), Pick(brScores), Pick(tlClasses) }, 2);
        return detections.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Keeps a heatmap value only where it equals the maximum of its kernel×kernel neighbourhood (stride 1, padding
    /// (kernel − 1)/2), zero elsewhere: the official <c>_nms</c>. The window maximum is taken as a row maximum then a
    /// column maximum over shifted views of the map padded with −∞, which gives max_pool2d's values exactly and is
    /// several times faster than libtorch's CPU max_pool2d for stride 1.
    /// </summary>
    public static Tensor SuppressNonPeaks(Tensor heat, int kernel)
    {
        ArgumentNullException.ThrowIfNull(heat);
        using var scope = NewDisposeScope();
        int pad = (kernel - 1) / 2;
        var padded = nn.functional.pad(heat, [pad, pad, pad, pad], value: double.NegativeInfinity);
        return KeepPeaks(padded, heat, kernel).MoveToOuterDisposeScope();
    }

    // SuppressNonPeaks(logits.sigmoid()) with one map-sized copy fewer: the logits are padded, then the sigmoid is
    // taken in place; the border becomes 0 instead of −∞, which changes no result because every sigmoid is ≥ 0.
    static Tensor SigmoidPeaks(Tensor logits, int kernel)
    {
        using var scope = NewDisposeScope();
        long h = logits.shape[2], w = logits.shape[3];
        int pad = (kernel - 1) / 2;
        var padded = nn.functional.pad(logits, [pad, pad, pad, pad], value: double.NegativeInfinity).sigmoid_();
        var heat = padded.narrow(2, pad, h).narrow(3, pad, w);
        return KeepPeaks(padded, heat, kernel).MoveToOuterDisposeScope();
    }

    // heat where it equals the kernel×kernel window maximum of padded (heat's map with a (kernel − 1)/2 border), else
    // 0.
    static Tensor KeepPeaks(Tensor padded, Tensor heat, int kernel)
    {
        long h = heat.shape[2], w = heat.shape[3];
        var rows = maximum(padded.narrow(3, 0, w), padded.narrow(3, 1, w));
        for (int i = 2; i < kernel; i++) rows = maximum(rows, padded.narrow(3, i, w));
        var pooled = maximum(rows.narrow(2, 0, h), rows.narrow(2, 1, h));
        for (int i = 2; i < kernel; i++) pooled = maximum(pooled, rows.narrow(2, i, h));
        return pooled.eq_(heat).mul_(heat);
    }

    /// <summary>The official <c>_topk</c>: the <paramref name="k"/> largest values of N×C×H×W scores over C·H·W
    /// jointly.</summary>
    public static TopCorners TopK(Tensor scores, int k)
    {
        ArgumentNullException.ThrowIfNull(scores);
        using var scope = NewDisposeScope();
        long n = scores.shape[0], h = scores.shape[2], w = scores.shape[3];
        // Explicit, held Scalars (see KeptScalars).
        using var area = (h * w).ToScalar();
        using var width = w.ToScalar();
        var (values, flat) = LargestK(scores, k);
        var classes = flat.div(area, RoundingMode.floor);
        var inds = flat.remainder(area);
        var ys = inds.div(width, RoundingMode.floor).to_type(ScalarType.Float32);
        var xs = inds.remainder(width).to_type(ScalarType.Float32);
        return new TopCorners(values.MoveToOuterDisposeScope(), inds.MoveToOuterDisposeScope(), classes.MoveToOuterDisposeScope(),
            ys.MoveToOuterDisposeScope(), xs.MoveToOuterDisposeScope());
    }

    // topk(k) of each image's scores flattened over C·H·W, found among a few candidates when that provably gives
    // topk's own answer: libtorch's full CPU topk copies and partially sorts every element, which dominates decoding.
    // The candidates are the elements not below the (k+1)-th largest row maximum (so at least k+1 of them); their top
    // k+1 values, when strictly decreasing, are the row's unique top k+1 in topk's order. Otherwise (ties, NaN) full
    // topk.
    static (Tensor Values, Tensor Indices) LargestK(Tensor scores, int k)
    {
        long n = scores.shape[0], c = scores.shape[1], h = scores.shape[2], w = scores.shape[3];
        var rows = scores.reshape(n, -1);
        if (c * h < k + 1 || rows.shape[1] < 64L * (k + 1)) return FullTopK(rows, k);
        // Explicit, held Scalars (see KeptScalars).
        using var width = w.ToScalar();
        var lines = scores.reshape(n, c * h, w);
        var lineMaxima = scores.amax(3).reshape(n, -1);
        var thresholds = lineMaxima.topk(k + 1, dim: 1).values.select(1, k);
        var values = new Tensor[n];
        var indices = new Tensor[n];
        for (long b = 0; b < n; b++)
        {
            // "Not below" rather than "at least" keeps NaN, which then fails the strictness test below.
            var lineIds = lineMaxima[b].lt(thresholds[b]).logical_not_().nonzero().view(-1);
            var candidateLines = lines[b].index_select(0, lineIds);
            var at = candidateLines.lt(thresholds[b]).logical_not_().nonzero();
            if (at.shape[0] < k + 1) return FullTopK(rows, k);
            var (top, which) = candidateLines.reshape(-1).index_select(0, at.select(1, 0).mul(width).add_(at.select(1, 1), KeptScalars.One)).topk(k + 1);
            if (!top.narrow(0, 0, k).gt(top.narrow(0, 1, k)).all().item<bool>()) return FullTopK(rows, k);
            var flat = lineIds.index_select(0, at.select(1, 0)).mul(width).add_(at.select(1, 1), KeptScalars.One);
            values[b] = top.narrow(0, 0, k);
            indices[b] = flat.index_select(0, which.narrow(0, 0, k));
        }
        return (stack(values), stack(indices));
    }

    static (Tensor Values, Tensor Indices) FullTopK(Tensor rows, int k)
    {
        var (values, indices) = rows.topk(k, dim: 1);
        return (values, indices);
    }

    // N×D×H×W map, N×K flat positions → N×D×K values at those positions.
    static Tensor GatherAtCorners(Tensor map, Tensor indices)
    {
        long n = map.shape[0], d = map.shape[1];
        return map.reshape(n, d, -1).gather(2, indices.unsqueeze(1).expand(n, d, indices.shape[1]));
    }
}
