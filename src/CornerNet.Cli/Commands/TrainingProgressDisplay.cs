using CornerNet.Training;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Shows a training run: a Spectre progress bar with iteration, loss, images/s and ETA on a terminal (its text cut to
/// the terminal's width, so the bar stays on one line at 80 columns), and a plain line every few percent when the
/// output is redirected (CI, log files). Validations show their own progress.
/// </summary>
public static class TrainingProgressDisplay
{
    /// <summary>Width of the bar itself; the description gets what the other columns leave.</summary>
    const int BarWidth = 20;

    /// <summary>Runs <paramref name="trainer"/> while displaying its progress; returns the last iteration
    /// done.</summary>
    public static int Run(Trainer trainer, int iterations, bool resume, CancellationToken cancel)
    {
        if (!Terminal.Interactive)
        {
            int every = Math.Max(1, iterations / 50);
            trainer.Progress = p =>
            {
                if (p.Iteration % every == 0 || p.Iteration == p.Iterations) Console.WriteLine(Describe(p));
            };
            trainer.ValidationProgress = (stage, done, total) =>
            {
                if (done == total || done % Math.Max(1, total / 10) == 0) Console.WriteLine($"{stage}: {done}/{total} images");
            };
            return trainer.Run(resume, cancel);
        }
        int result = 0;
        Bars().Start(context =>
        {
            var task = context.AddTask("training", maxValue: iterations);
            ProgressTask? validating = null;
            trainer.Progress = p =>
            {
                task.Value = p.Iteration;
                task.Description = Fit(Describe(p, full: false));
            };
            trainer.ValidationProgress = (stage, done, total) =>
            {
                validating ??= context.AddTask(stage, maxValue: total);
                if (done == 1 || validating.Description != stage) validating.Description = stage;
                validating.MaxValue = total;
                validating.Value = done;
            };
            result = trainer.Run(resume, cancel);
        });
        return result;
    }

    /// <summary>The progress display of training and the quick start: a narrow bar, percentage and remaining
    /// time.</summary>
    internal static Progress Bars() => Terminal.Current().Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = BarWidth }, new PercentageColumn(), new RemainingTimeColumn());

    /// <summary><paramref name="text"/> cut to the width the bar, percentage and time leave on this terminal
    /// (markup-escaped).</summary>
    internal static string Fit(string text)
    {
        int width = Console.IsOutputRedirected ? 120 : Math.Max(40, Console.WindowWidth);
        int room = Math.Max(12, width - BarWidth - 4 /* percentage */ - 8 /* time */ - 6 /* gaps */);
        return Markup.Escape(text.Length <= room ? text : text[..(room - 1)] + "…");
    }

    static string Describe(TrainingProgress p, bool full = true) => full
        ? $"it {p.Iteration}/{p.Iterations}  {LossAndRate(p)}  ETA {p.Remaining:hh\\:mm\\:ss}"
        : $"it {p.Iteration}/{p.Iterations} loss {p.Loss:F3} {p.ImagesPerSecond:F1} img/s";

    /// <summary>Loss parts, learning rate and speed of one progress report (also shown by the quick start).</summary>
    internal static string LossAndRate(TrainingProgress p) =>
        $"loss {p.Loss:F3} (focal {p.Focal:F3} pull {p.Pull:F3} push {p.Push:F3} off {p.Offset:F3})  lr {p.LearningRate:G3}  {p.ImagesPerSecond:F1} img/s";
}
