namespace CornerNet.Evaluation;

/// <summary>Precision/recall curves (area all, 100 detections, mean over classes) at IoU 0.5, 0.75 and 0.5:0.95, as a
/// PNG.</summary>
internal static class PrecisionRecallPlot
{
    /// <summary>Writes the plot of <paramref name="metrics"/> to <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, CocoMetrics metrics)
    {
        var plot = new ScottPlot.Plot();
        double[] recall = CocoEvaluator.RecallThresholds.ToArray();
        void Curve(double[] precision, string label)
        {
            var line = plot.Add.ScatterLine(recall, precision.Select(p => Math.Max(p, 0)).ToArray());
            line.LegendText = label;
        }
        Curve(metrics.PrecisionCurve(0), $"IoU 0.50 (AP50 {metrics.AP50:F3})");
        Curve(metrics.PrecisionCurve(5), $"IoU 0.75 (AP75 {metrics.AP75:F3})");
        var mean = new double[recall.Length];
        for (int t = 0; t < CocoEvaluator.IouThresholds.Count; t++)
        {
            var curve = metrics.PrecisionCurve(t);
            for (int r = 0; r < mean.Length; r++) mean[r] += Math.Max(curve[r], 0) / CocoEvaluator.IouThresholds.Count;
        }
        Curve(mean, $"IoU 0.50:0.95 (AP {metrics.AP:F3})");
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.Axes.Bottom.Label.Text = "recall";
        plot.Axes.Left.Label.Text = "precision";
        plot.ShowLegend();
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(700, 560, ScottPlot.ImageFormat.Png));
    }
}
