using System.Runtime.CompilerServices;

namespace CornerNet.Evaluation;

/// <summary>
/// pycocotools' <c>evaluateImg</c> for every image of one class, then <c>accumulate</c> for that class: fills its
/// entries of the precision [T, R, K, A, M] and recall [T, K, A, M] arrays. Independent of other classes, so classes
/// run in parallel.
/// </summary>
internal sealed class CocoClassEvaluation
{
    const int T = CocoEvaluator.T, R = CocoEvaluator.R, A = CocoEvaluator.A, M = CocoEvaluator.M;
    const int KeptPerImage = 100;
    // np.spacing(1): the precision denominator's guard.
    const double Eps = 2.220446049250313e-16;

    const byte FalsePositive = 0, TruePositive = 1, Ignored = 2;

    readonly EvaluationData _data;
    readonly int _k;
    readonly int _classes;

    // Detections kept (at most 100 per image, by score), in accumulate's concatenation order: image ascending, then
    // score.
    int[] _slotDet = [];
    // Rank of the slot's detection within its image (0 = best score).
    int[] _slotRank = [];
    int _slots;
    // Per image with detections: first slot and count, for the maxDets 1 and 10 cuts.
    readonly List<(int Start, int Count)> _detRuns = [];
    // Match state per (area, IoU threshold, slot).
    byte[] _state = [];
    readonly long[] _nonIgnoredGt = new long[A];

    // Scratch for one image.
    double[] _iou = new double[64];
    bool[] _ignore = new bool[8];
    bool[] _matched = new bool[8];
    int[] _gtOrder = new int[8];

    public CocoClassEvaluation(EvaluationData data, int k)
    {
        _data = data;
        _k = k;
        _classes = data.CategoryIds.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(double[] precision, double[] recall)
    {
        // Both come grouped by image (ascending), in file order within an image.
        var gts = _data.GtByClass.AsSpan(_data.GtClassStart[_k], _data.GtClassStart[_k + 1] - _data.GtClassStart[_k]);
        var dets = _data.DetByClass.AsSpan(_data.DetClassStart[_k], _data.DetClassStart[_k + 1] - _data.DetClassStart[_k]);
        KeepTopDetections(dets);
        _state = new byte[A * T * _slots];

        int[] gtImages = _data.Gt.Image, detImages = _data.Det.Image;
        int g = 0, run = 0;
        while (g < gts.Length || run < _detRuns.Count)
        {
            int gtImage = g < gts.Length ? gtImages[gts[g]] : int.MaxValue;
            int detImage = run < _detRuns.Count ? detImages[_slotDet[_detRuns[run].Start]] : int.MaxValue;
            int image = Math.Min(gtImage, detImage);
            int gEnd = g;
            while (gEnd < gts.Length && gtImages[gts[gEnd]] == image) gEnd++;
            var (slotStart, slotCount) = detImage == image ? _detRuns[run++] : (0, 0);
            EvaluateImage(gts[g..gEnd], slotStart, slotCount);
            g = gEnd;
        }
        Accumulate(precision, recall);
    }

    /// <summary>Sorts each image's detections by score (stable) and keeps the first 100 as slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void KeepTopDetections(Span<int> dets)
    {
        int[] images = _data.Det.Image;
        _slotDet = new int[dets.Length];
        _slotRank = new int[dets.Length];
        _slots = 0;
        for (int n = 0; n < dets.Length;)
        {
            int image = images[dets[n]];
            int end = n;
            while (end < dets.Length && images[dets[end]] == image) end++;
            var group = dets[n..end];
            ScoreOrder.SortDescending(group, _data.Score);
            int keep = Math.Min(group.Length, KeptPerImage);
            _detRuns.Add((_slots, keep));
            for (int j = 0; j < keep; j++)
            {
                _slotRank[_slots] = j;
                _slotDet[_slots++] = group[j];
            }
            n = end;
        }
    }

    /// <summary>evaluateImg for one (image, class) and every area range: sets the state of the image's slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void EvaluateImage(ReadOnlySpan<int> gts, int slotStart, int detCount)
    {
        int gtCount = gts.Length;
        var gt = _data.Gt;
        var det = _data.Det;
        if (_ignore.Length < gtCount)
        {
            _ignore = new bool[gtCount * 2];
            _matched = new bool[gtCount * 2];
            _gtOrder = new int[gtCount * 2];
        }
        if (_iou.Length < gtCount * detCount) _iou = new double[gtCount * detCount * 2];

        // IoU as the C code of pycocotools (bbIou), float64 in the same order; for a crowd GT the union is the
        // detection's area.
        for (int d = 0; d < detCount; d++)
        {
            int dn = _slotDet[slotStart + d];
            double dx = det.X[dn], dy = det.Y[dn], dw = det.W[dn], dh = det.H[dn];
            double detArea = dw * dh;
            for (int j = 0; j < gtCount; j++)
            {
                int gn = gts[j];
                double gx = gt.X[gn], gy = gt.Y[gn], gw = gt.W[gn], gh = gt.H[gn];
                double iou = 0;
                double w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
                if (w > 0)
                {
                    double h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
                    if (h > 0)
                    {
                        double inter = w * h;
                        double union = _data.GtCrowd[gn] ? detArea : detArea + gw * gh - inter;
                        iou = inter / union;
                    }
                }
                _iou[d * gtCount + j] = iou;
            }
        }

        for (int a = 0; a < A; a++)
        {
            double lo = CocoEvaluator.AreaMin[a], hi = CocoEvaluator.AreaMax[a];
            if (gtCount == 0)
            {
                // Nothing to match: every detection is a false positive, or ignored when outside the area range.
                for (int d = 0; d < detCount; d++)
                {
                    int dn = _slotDet[slotStart + d];
                    double area = det.W[dn] * det.H[dn];
                    byte state = area < lo || area > hi ? Ignored : FalsePositive;
                    for (int t = 0; t < T; t++) _state[(a * T + t) * _slots + slotStart + d] = state;
                }
                continue;
            }
            // GT order: not ignored first, file order kept (stable argsort of the ignore flags).
            int regular = 0;
            for (int j = 0; j < gtCount; j++)
            {
                double area = _data.GtArea[gts[j]];
                _ignore[j] = _data.GtCrowd[gts[j]] || area < lo || area > hi;
                if (!_ignore[j]) _gtOrder[regular++] = j;
            }
            _nonIgnoredGt[a] += regular;
            for (int j = 0, next = regular; j < gtCount; j++)
                if (_ignore[j]) _gtOrder[next++] = j;

            for (int t = 0; t < T; t++)
            {
                Array.Clear(_matched, 0, gtCount);
                int stateBase = (a * T + t) * _slots + slotStart;
                double threshold = Math.Min(CocoEvaluator.IouThresholdArray[t], 1 - 1e-10);
                for (int d = 0; d < detCount; d++)
                {
                    double best = threshold;
                    int m = -1;
                    for (int o = 0; o < gtCount; o++)
                    {
                        int j = _gtOrder[o];
                        // A crowd GT can absorb any number of detections.
                        if (_matched[j] && !_data.GtCrowd[gts[j]]) continue;
                        // Once matched to a regular GT, ignored GTs (sorted last) cannot take over.
                        if (m > -1 && !_ignore[m] && _ignore[j]) break;
                        double iou = _iou[d * gtCount + j];
                        if (iou < best) continue;
                        // >= so that on equal IoU the later GT wins, as pycocotools.
                        best = iou;
                        m = j;
                    }
                    byte state;
                    if (m >= 0)
                    {
                        _matched[m] = true;
                        state = _ignore[m] ? Ignored : TruePositive;
                    }
                    else
                    {
                        int dn = _slotDet[slotStart + d];
                        double area = det.W[dn] * det.H[dn];
                        state = area < lo || area > hi ? Ignored : FalsePositive;
                    }
                    _state[stateBase + d] = state;
                }
            }
        }
    }

    /// <summary>accumulate for this class: precision at the 101 recall thresholds and final recall, per (t, a,
    /// m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Accumulate(double[] precision, double[] recall)
    {
        var byScore = SlotsByScore();
        var order = new int[_slots];
        var tpPrecision = new double[_slots];
        for (int mi = 0; mi < M; mi++)
        {
            // The first maxDets of each image, in the order of the whole list (a subsequence keeps the sort).
            int maxDet = CocoEvaluator.MaxDetections[mi];
            int nd = 0;
            foreach (int slot in byScore)
                if (_slotRank[slot] < maxDet) order[nd++] = slot;

            for (int a = 0; a < A; a++)
            {
                long npig = _nonIgnoredGt[a];
                if (npig == 0) continue;
                for (int t = 0; t < T; t++)
                {
                    int stateBase = (a * T + t) * _slots;
                    // pycocotools computes rc = tp / npig and pr = tp / (fp + tp + eps) at every detection, makes pr
                    // non-increasing from the right, and reads pr at the first index whose rc reaches each recall
                    // threshold. That index is always a true positive (or 0 for threshold 0), and a false positive or
                    // ignored detection never has a higher pr than the true positive before it, so the same numbers
                    // come from pr at the true positives alone.
                    double tp = 0, fp = 0;
                    int tpCount = 0;
                    for (int j = 0; j < nd; j++)
                    {
                        byte state = _state[stateBase + order[j]];
                        if (state == TruePositive)
                        {
                            tp++;
                            tpPrecision[tpCount++] = tp / (fp + tp + Eps);
                        }
                        else if (state == FalsePositive) fp++;
                    }
                    recall[CocoEvaluator.RecallIndex(t, _k, a, mi, _classes)] = nd > 0 ? tp / npig : 0;
                    for (int j = tpCount - 1; j > 0; j--)
                        if (tpPrecision[j] > tpPrecision[j - 1]) tpPrecision[j - 1] = tpPrecision[j];

                    // Recall threshold 0: index 0, i.e. the best precision overall (0 without true positives).
                    precision[CocoEvaluator.PrecisionIndex(t, 0, _k, a, mi, _classes)] = tpCount > 0 ? tpPrecision[0] : 0;
                    // Others: the c-th true positive with c / npig >= threshold; 0 past the last one.
                    int c = 1;
                    for (int r = 1; r < R; r++)
                    {
                        double threshold = CocoEvaluator.RecallThresholdArray[r];
                        while (c <= tpCount && c / (double)npig < threshold) c++;
                        precision[CocoEvaluator.PrecisionIndex(t, r, _k, a, mi, _classes)] = c <= tpCount ? tpPrecision[c - 1] : 0;
                    }
                }
            }
        }
    }

    /// <summary>Slots by score descending, ties in slot (concatenation) order, as numpy's stable argsort of
    /// -score.</summary>
    int[] SlotsByScore()
    {
        var slotScore = new double[_slots];
        var slots = new int[_slots];
        for (int s = 0; s < _slots; s++)
        {
            slotScore[s] = _data.Score[_slotDet[s]];
            slots[s] = s;
        }
        ScoreOrder.SortDescending(slots, slotScore);
        return slots;
    }
}
