using System.Runtime.CompilerServices;
using CornerNet.Data;

namespace CornerNet.Evaluation;

/// <summary>
/// COCO bbox evaluation that reproduces pycocotools' <c>COCOeval(gt, dets, "bbox")</c> with default parameters
/// (<c>evaluate</c>, <c>accumulate</c>, <c>summarize</c>) to the last bit where it matters: the same matching, ignore
/// rules, tie orders, thresholds and float64 arithmetic (see <c>../shared/fixtures/cocoeval/README.md</c>).
/// Classes are evaluated in parallel.
/// </summary>
/// <remarks>
/// Differences from pycocotools, all about input it refuses or mishandles: a detection of an image absent from the
/// ground truth is an error (pycocotools asserts); detections of categories absent from <c>categories</c> are dropped
/// with a warning in <see cref="CocoMetrics.Warnings"/> (pycocotools drops them silently); an empty detection list
/// gives zeros (pycocotools crashes); and a ground-truth annotation with id 0 can be matched (pycocotools tests the
/// matched id for non-zero and so never counts it).
/// </remarks>
public static class CocoEvaluator
{
    /// <summary>IoU thresholds, <c>numpy.linspace(0.5, 0.95, 10)</c> bit for bit (the ninth is
    /// 0.8999999999999999).</summary>
    public static IReadOnlyList<double> IouThresholds { get; } = Linspace(0.5, 0.95, 10);

    /// <summary>Recall thresholds, <c>numpy.linspace(0, 1, 101)</c> bit for bit (not exactly k/100).</summary>
    public static IReadOnlyList<double> RecallThresholds { get; } = Linspace(0.0, 1.0, 101);

    /// <summary>Maximum detections per image and class for the three recall/precision settings.</summary>
    public static IReadOnlyList<int> MaxDetections { get; } = [1, 10, 100];

    /// <summary>Area ranges all, small, medium, large; both bounds inclusive.</summary>
    public static IReadOnlyList<(string Name, double Min, double Max)> AreaRanges { get; } =
        [("all", 0, 1e10), ("small", 0, 32 * 32), ("medium", 32 * 32, 96 * 96), ("large", 96 * 96, 1e10)];

    /// <summary>Evaluates a detections file against ground truth; errors and warnings name
    /// <paramref name="detections"/>' path.</summary>
    public static CocoMetrics Evaluate(CocoAnnotationFile groundTruth, CocoDetectionsFile detections) =>
        Evaluate(groundTruth, detections.Detections, detections.Path);

    /// <summary>
    /// Evaluates <paramref name="detections"/> against <paramref name="groundTruth"/>.
    /// Throws <see cref="InvalidInputException"/> (naming <paramref name="detectionsSource"/> and the record's index)
    /// for a detection whose image is not in the ground truth; detections of categories not in the ground truth's
    /// categories are dropped and reported in <see cref="CocoMetrics.Warnings"/>.
    /// </summary>
    public static CocoMetrics Evaluate(CocoAnnotationFile groundTruth, IReadOnlyList<CocoDetection> detections,
        string detectionsSource = "detections")
    {
        var warnings = new List<string>();
        var data = Prepare(groundTruth, detections, detectionsSource, warnings);
        int classes = data.CategoryIds.Length;
        var precision = new double[T * R * classes * A * M];
        var recall = new double[T * classes * A * M];
        Array.Fill(precision, -1.0);
        Array.Fill(recall, -1.0);
        Parallel.For(0, classes, k => new CocoClassEvaluation(data, k).Run(precision, recall));
        return Summarize(data.CategoryIds, precision, recall, warnings);
    }

    internal const int T = 10, R = 101, A = 4, M = 3;

    internal static readonly double[] IouThresholdArray = [.. IouThresholds];
    internal static readonly double[] AreaMin = [.. AreaRanges.Select(r => r.Min)];
    internal static readonly double[] AreaMax = [.. AreaRanges.Select(r => r.Max)];
    internal static readonly double[] RecallThresholdArray = [.. RecallThresholds];

    // numpy: step = (stop - start) / (num - 1); y = arange(num) * step + start; y[-1] = stop.
    static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        double step = (stop - start) / (num - 1);
        for (int k = 0; k < num; k++) y[k] = k * step + start;
        y[num - 1] = stop;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static EvaluationData Prepare(CocoAnnotationFile gt, IReadOnlyList<CocoDetection> detections, string source, List<string> warnings)
    {
        var imageIds = new long[gt.Images.Count];
        for (int n = 0; n < imageIds.Length; n++) imageIds[n] = gt.Images[n].Id;
        Array.Sort(imageIds);
        var imageIndex = new Dictionary<long, int>(imageIds.Length);
        for (int i = 0; i < imageIds.Length; i++) imageIndex[imageIds[i]] = i;

        var categoryIds = new long[gt.Categories.Count];
        for (int n = 0; n < categoryIds.Length; n++) categoryIds[n] = gt.Categories[n].Id;
        Array.Sort(categoryIds);
        var categoryIndex = new Dictionary<long, int>(categoryIds.Length);
        for (int k = 0; k < categoryIds.Length; k++) categoryIndex[categoryIds[k]] = k;

        int gtCount = gt.Annotations.Count;
        var g = new BoxSet(gtCount);
        var gtArea = new double[gtCount];
        var gtCrowd = new bool[gtCount];
        for (int n = 0; n < gtCount; n++)
        {
            var a = gt.Annotations[n];
            g.Set(n, a.Box, imageIndex[a.ImageId], categoryIndex[a.CategoryId]);
            gtArea[n] = a.Area;
            gtCrowd[n] = a.IsCrowd;
        }

        int detCount = detections.Count;
        var d = new BoxSet(detCount);
        var score = new double[detCount];
        int dropped = 0, firstDropped = -1;
        var unknownCategories = new SortedSet<long>();
        for (int n = 0; n < detCount; n++)
        {
            var det = detections[n];
            if (!imageIndex.TryGetValue(det.ImageId, out int image))
                throw new InvalidInputException(source, $"[{n}]: image_id {det.ImageId} is not an image of {gt.Path}");
            // Detections made in memory skip the file reader's checks.
            if (CocoAnnotationFile.BoxProblem(det.Box) is { } problem) throw new InvalidInputException(source, $"[{n}]: {problem}");
            if (!double.IsFinite(det.Score)) throw new InvalidInputException(source, $"[{n}]: score is not finite");
            if (!categoryIndex.TryGetValue(det.CategoryId, out int category))
            {
                category = -1;
                if (dropped++ == 0) firstDropped = n;
                unknownCategories.Add(det.CategoryId);
            }
            d.Set(n, det.Box, image, category);
            score[n] = det.Score;
        }
        if (dropped > 0)
            warnings.Add($"{source}: dropped {dropped} detection(s) whose category is not in the categories of {gt.Path} " +
                         $"(category_id {string.Join(", ", unknownCategories.Take(10))}{(unknownCategories.Count > 10 ? ", ..." : "")}; first at [{firstDropped}])");

        return new EvaluationData(categoryIds,
            g, gtArea, gtCrowd, GroupByClassAndImage(g, categoryIds.Length, imageIds.Length, out var gtStart), gtStart,
            d, score, GroupByClassAndImage(d, categoryIds.Length, imageIds.Length, out var detStart), detStart);
    }

    /// <summary>
    /// Box indices grouped by class, then by image (ascending), file order kept within an image: two stable counting
    /// sorts, by image then by class. Boxes of class -1 (dropped) are left out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int[] GroupByClassAndImage(BoxSet boxes, int classes, int images, out int[] classStart)
    {
        int[] image = boxes.Image, category = boxes.Category;
        var imageStart = new int[images + 1];
        foreach (int i in image) imageStart[i + 1]++;
        for (int i = 0; i < images; i++) imageStart[i + 1] += imageStart[i];
        var byImage = new int[image.Length];
        for (int n = 0; n < image.Length; n++) byImage[imageStart[image[n]]++] = n;

        classStart = new int[classes + 1];
        foreach (int k in category)
            if (k >= 0) classStart[k + 1]++;
        for (int k = 0; k < classes; k++) classStart[k + 1] += classStart[k];
        var next = (int[])classStart.Clone();
        var order = new int[classStart[classes]];
        foreach (int n in byImage)
            if (category[n] >= 0) order[next[category[n]]++] = n;
        return order;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static CocoMetrics Summarize(long[] categoryIds, double[] precision, double[] recall, List<string> warnings)
    {
        int classes = categoryIds.Length;
        int t50 = Array.IndexOf(IouThresholdArray, 0.5), t75 = Array.IndexOf(IouThresholdArray, 0.75);
        var buffer = new List<double>(T * R * Math.Max(classes, 1));

        // pycocotools: mean of precision[t, :, :, a, m] (or all t) over entries > -1, in C order (t, r, k).
        double AveragePrecision(int? onlyT, int a)
        {
            buffer.Clear();
            for (int t = 0; t < T; t++)
            {
                if (onlyT.HasValue && t != onlyT.Value) continue;
                for (int r = 0; r < R; r++)
                    for (int k = 0; k < classes; k++)
                        Keep(precision[PrecisionIndex(t, r, k, a, M - 1, classes)]);
            }
            return Mean();
        }

        double AverageRecall(int a, int m)
        {
            buffer.Clear();
            for (int t = 0; t < T; t++)
                for (int k = 0; k < classes; k++)
                    Keep(recall[RecallIndex(t, k, a, m, classes)]);
            return Mean();
        }

        void Keep(double value)
        {
            if (value > -1) buffer.Add(value);
        }

        double Mean() => buffer.Count == 0 ? -1 : NumpySum(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer)) / buffer.Count;

        double[] stats =
        [
            AveragePrecision(null, 0), AveragePrecision(t50, 0), AveragePrecision(t75, 0),
            AveragePrecision(null, 1), AveragePrecision(null, 2), AveragePrecision(null, 3),
            AverageRecall(0, 0), AverageRecall(0, 1), AverageRecall(0, 2),
            AverageRecall(1, 2), AverageRecall(2, 2), AverageRecall(3, 2),
        ];

        var perClass = new double[classes];
        var curves = new double[T * R * classes];
        for (int k = 0; k < classes; k++)
        {
            buffer.Clear();
            for (int t = 0; t < T; t++)
                for (int r = 0; r < R; r++)
                {
                    double p = precision[PrecisionIndex(t, r, k, 0, M - 1, classes)];
                    curves[(t * R + r) * classes + k] = p;
                    Keep(p);
                }
            perClass[k] = Mean();
        }
        return new CocoMetrics(stats, categoryIds, perClass, curves, warnings);
    }

    internal static int PrecisionIndex(int t, int r, int k, int a, int m, int classes) => (((t * R + r) * classes + k) * A + a) * M + m;

    internal static int RecallIndex(int t, int k, int a, int m, int classes) => ((t * classes + k) * A + a) * M + m;

    /// <summary>
    /// numpy's float64 sum, so means come out bit for bit as <c>numpy.mean</c>: numpy's reduction loop sees the array
    /// in chunks of its buffer size (8192 elements), adds them in sequence, and sums each chunk pairwise.
    /// </summary>
    internal static double NumpySum(ReadOnlySpan<double> a)
    {
        const int BufferSize = 8192;
        double sum = 0;
        for (int start = 0; start < a.Length; start += BufferSize)
            sum += PairwiseSum(a.Slice(start, Math.Min(BufferSize, a.Length - start)));
        return sum;
    }

    // numpy's pairwise_sum: an 8-way unrolled loop for up to 128 elements, halves (at a multiple of 8) above.
    static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i;
            for (i = 8; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int half = n / 2;
        half -= half % 8;
        return PairwiseSum(a[..half]) + PairwiseSum(a[half..]);
    }
}

/// <summary>Boxes in flat arrays (struct-of-arrays), indexed by their position in the input, with image and class
/// indices.</summary>
internal sealed class BoxSet(int count)
{
    public readonly double[] X = new double[count], Y = new double[count], W = new double[count], H = new double[count];
    public readonly int[] Image = new int[count], Category = new int[count];

    public void Set(int n, CocoBox box, int image, int category)
    {
        X[n] = box.X;
        Y[n] = box.Y;
        W[n] = box.Width;
        H[n] = box.Height;
        Image[n] = image;
        Category[n] = category;
    }
}

/// <summary>Ground truth and detections as flat arrays, grouped by class (index into the sorted category
/// ids).</summary>
internal sealed record EvaluationData(
    long[] CategoryIds,
    BoxSet Gt, double[] GtArea, bool[] GtCrowd, int[] GtByClass, int[] GtClassStart,
    BoxSet Det, double[] Score, int[] DetByClass, int[] DetClassStart);
