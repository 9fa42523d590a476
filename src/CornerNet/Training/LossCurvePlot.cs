namespace CornerNet.Training;

/// <summary>Draws a run's training loss (raw and smoothed) and validation loss as a PNG.</summary>
internal static class LossCurvePlot
{
    /// <summary>Writes the plot to <paramref name="path"/> (atomically); does nothing without data.</summary>
    public static void Save(string path, IReadOnlyList<(int Iteration, double Loss)> losses, IReadOnlyList<(int Iteration, double Loss)> validation)
    {
        if (losses.Count == 0) return;
        var plot = new ScottPlot.Plot();
        double[] xs = losses.Select(l => (double)l.Iteration).ToArray();
        double[] ys = losses.Select(l => l.Loss).ToArray();
        var raw = plot.Add.ScatterLine(xs, ys);
        raw.LegendText = "training loss";
        raw.Color = raw.Color.WithAlpha(0.35);
        int window = Math.Max(1, losses.Count / 50);
        if (window > 1)
        {
            var smooth = plot.Add.ScatterLine(xs, MovingAverage(ys, window));
            smooth.LegendText = $"training loss (mean of {window})";
        }
        if (validation.Count > 0)
        {
            var val = plot.Add.ScatterLine(validation.Select(v => (double)v.Iteration).ToArray(), validation.Select(v => v.Loss).ToArray());
            val.LegendText = "validation loss";
            // Few points on top of many: drawn thick with markers so they stand out from the training curve.
            val.LineWidth = 2.5f;
            val.MarkerSize = 8;
        }
        plot.Axes.Bottom.Label.Text = "iteration";
        plot.Axes.Left.Label.Text = "loss (Eq. 8)";
        // Beside the data, not over it: inside, the legend hid the validation points in the upper right.
        plot.ShowLegend(ScottPlot.Edge.Right);
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(900, 500, ScottPlot.ImageFormat.Png));
    }

    static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
