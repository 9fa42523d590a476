using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CornerNet.Evaluation;

/// <summary>
/// The result of <see cref="CocoEvaluator"/>: pycocotools' 12 summary numbers, AP per class, the precision curves
/// (area all, maxDets 100) and the warnings raised while evaluating. Undefined values are -1, as in pycocotools.
/// </summary>
public sealed class CocoMetrics
{
    static readonly string[] Keys = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    readonly double[] _stats;
    readonly double[] _precision;

    internal CocoMetrics(double[] stats, long[] categoryIds, double[] perClass, double[] precision, List<string> warnings)
    {
        _stats = stats;
        _precision = precision;
        CategoryIds = categoryIds;
        var perClassAP = new SortedDictionary<long, double>();
        for (int k = 0; k < categoryIds.Length; k++) perClassAP[categoryIds[k]] = perClass[k];
        PerClassAP = perClassAP;
        Warnings = warnings;
    }

    /// <summary>AP at IoU 0.50:0.95, area all, maxDets 100 (COCO's main number).</summary>
    public double AP => _stats[0];
    /// <summary>AP at IoU 0.50.</summary>
    public double AP50 => _stats[1];
    /// <summary>AP at IoU 0.75.</summary>
    public double AP75 => _stats[2];
    /// <summary>AP for small objects (area &lt;= 32²).</summary>
    public double APs => _stats[3];
    /// <summary>AP for medium objects (32² &lt;= area &lt;= 96²).</summary>
    public double APm => _stats[4];
    /// <summary>AP for large objects (area &gt;= 96²).</summary>
    public double APl => _stats[5];
    /// <summary>AR with at most 1 detection per image and class.</summary>
    public double AR1 => _stats[6];
    /// <summary>AR with at most 10 detections per image and class.</summary>
    public double AR10 => _stats[7];
    /// <summary>AR with at most 100 detections per image and class.</summary>
    public double AR100 => _stats[8];
    /// <summary>AR for small objects (maxDets 100).</summary>
    public double ARs => _stats[9];
    /// <summary>AR for medium objects (maxDets 100).</summary>
    public double ARm => _stats[10];
    /// <summary>AR for large objects (maxDets 100).</summary>
    public double ARl => _stats[11];

    /// <summary>The 12 numbers in pycocotools' <c>stats</c> order (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100,
    /// ARs, ARm, ARl).</summary>
    public IReadOnlyList<double> Stats => _stats;

    /// <summary>The evaluated category ids, ascending (the class axis of <see cref="Precision"/>).</summary>
    public IReadOnlyList<long> CategoryIds { get; }

    /// <summary>AP at IoU 0.50:0.95, area all, maxDets 100, per category id (-1 for a class without non-crowd
    /// GT).</summary>
    public IReadOnlyDictionary<long, double> PerClassAP { get; }

    /// <summary>Problems that did not stop the evaluation, e.g. detections dropped for an unknown category.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Interpolated precision at IoU threshold <see cref="CocoEvaluator.IouThresholds"/>[<paramref name="iouIndex"/>]
    /// and recall <see cref="CocoEvaluator.RecallThresholds"/>[<paramref name="recallIndex"/>] for the class at
    /// <paramref name="classIndex"/> in <see cref="CategoryIds"/> (area all, maxDets 100); -1 when the class has no GT.
    /// </summary>
    public double Precision(int iouIndex, int recallIndex, int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iouIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(iouIndex, CocoEvaluator.T);
        ArgumentOutOfRangeException.ThrowIfNegative(recallIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(recallIndex, CocoEvaluator.R);
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classIndex, CategoryIds.Count);
        return _precision[(iouIndex * CocoEvaluator.R + recallIndex) * CategoryIds.Count + classIndex];
    }

    /// <summary>
    /// A precision/recall curve at IoU threshold index <paramref name="iouIndex"/> (area all, maxDets 100): precision
    /// at each of the 101 <see cref="CocoEvaluator.RecallThresholds"/>, for one category, or (null) the mean over the
    /// classes that have GT. Entries are -1 when no class qualifies.
    /// </summary>
    public double[] PrecisionCurve(int iouIndex, long? categoryId = null)
    {
        int classes = CategoryIds.Count;
        var curve = new double[CocoEvaluator.R];
        int only = -1;
        if (categoryId.HasValue)
        {
            for (int k = 0; k < classes; k++)
                if (CategoryIds[k] == categoryId.Value) only = k;
            if (only < 0) throw new ArgumentException($"category {categoryId} was not evaluated", nameof(categoryId));
        }
        for (int r = 0; r < CocoEvaluator.R; r++)
        {
            double sum = 0;
            int count = 0;
            for (int k = 0; k < classes; k++)
            {
                if (only >= 0 && k != only) continue;
                double p = Precision(iouIndex, r, k);
                if (p <= -1) continue;
                sum += p;
                count++;
            }
            curve[r] = count == 0 ? -1 : sum / count;
        }
        return curve;
    }

    /// <summary>The 12 lines pycocotools' <c>summarize()</c> prints (3 decimals, -1.000 where undefined).</summary>
    public IReadOnlyList<string> SummaryLines()
    {
        var lines = new string[12];
        for (int n = 0; n < 12; n++)
        {
            bool precision = n < 6;
            string iou = n == 1 ? "0.50     " : n == 2 ? "0.75     " : "0.50:0.95";
            string area = n is 3 or 9 ? "small" : n is 4 or 10 ? "medium" : n is 5 or 11 ? "large" : "all";
            int maxDets = n == 6 ? 1 : n == 7 ? 10 : 100;
            string title = precision ? "Average Precision" : "Average Recall";
            string kind = precision ? "(AP)" : "(AR)";
            lines[n] = string.Format(CultureInfo.InvariantCulture, " {0,-18} {1} @[ IoU={2} | area={3,6} | maxDets={4,3} ] = {5}",
                title, kind, iou, area, maxDets, FormatNumber(_stats[n]));
        }
        return lines;
    }

    /// <summary>A value as pycocotools prints it (Python's <c>{:0.3f}</c>).</summary>
    public static string FormatNumber(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>
    /// The metrics JSON of the project's contract: <c>{"AP": …, …, "ARl": …, "per_class": {"&lt;category_id&gt;":
    /// AP}}</c>, numbers written so that they read back to the same doubles.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteJson(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/>: to a temporary name first, then
    /// renamed.</summary>
    public void WriteJson(string path)
    {
        AtomicFile.Write(path, WriteJson);
    }

    void WriteJson(Stream stream)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        for (int n = 0; n < Keys.Length; n++) writer.WriteNumber(Keys[n], _stats[n]);
        writer.WriteStartObject("per_class");
        foreach (var (categoryId, ap) in PerClassAP)
            writer.WriteNumber(categoryId.ToString(CultureInfo.InvariantCulture), ap);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
