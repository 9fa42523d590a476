using CornerNet.Training;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Shows a training run: a Spectre progress bar with iteration, loss parts, images/s and ETA on a terminal, and a plain
/// line every few percent when the output is redirected (CI, log files).
/// </summary>
public static class TrainingProgressDisplay
{
    /// <summary>Runs <paramref name="trainer"/> while displaying its progress; returns the last iteration done.</summary>
    public static int Run(Trainer trainer, int iterations, bool resume, CancellationToken cancel)
    {
        if (!Terminal.Interactive)
        {
            int every = Math.Max(1, iterations / 50);
            trainer.Progress = p =>
            {
                if (p.Iteration % every == 0 || p.Iteration == p.Iterations) Console.WriteLine(Describe(p));
            };
            return trainer.Run(resume, cancel);
        }
        int done = 0;
        Terminal.Current().Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: iterations);
                trainer.Progress = p =>
                {
                    task.Value = p.Iteration;
                    task.Description = Markup.Escape(Describe(p));
                };
                done = trainer.Run(resume, cancel);
            });
        return done;
    }

    static string Describe(TrainingProgress p) => $"it {p.Iteration}/{p.Iterations}  {LossAndRate(p)}  ETA {p.Remaining:hh\\:mm\\:ss}";

    /// <summary>Loss parts, learning rate and speed of one progress report (also shown by the quick start).</summary>
    internal static string LossAndRate(TrainingProgress p) =>
        $"loss {p.Loss:F3} (focal {p.Focal:F3} pull {p.Pull:F3} push {p.Push:F3} off {p.Offset:F3})  lr {p.LearningRate:G3}  {p.ImagesPerSecond:F1} img/s";
}
