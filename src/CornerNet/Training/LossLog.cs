using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;

namespace CornerNet.Training;

/// <summary>
/// Where a run's numbers go: <c>losses.csv</c> (one row per iteration, flushed at once so a crash loses nothing),
/// TensorBoard event files under <c>tensorboard/</c>, and the in-memory series for the loss-curve plot.
/// On resume, rows past the resumed iteration are dropped so the CSV continues seamlessly.
/// </summary>
internal sealed class LossLog : IDisposable
{
    const string Header = "iteration,loss,focal,pull,push,offset,learning_rate,images_per_second";
    readonly StreamWriter _csv;
    readonly SummaryWriter _tensorboard;

    /// <summary>(iteration, total loss) of every logged step, for plotting.</summary>
    public List<(int Iteration, double Loss)> Losses { get; } = new();

    /// <summary>(iteration, validation loss) of every validation.</summary>
    public List<(int Iteration, double Loss)> ValidationLosses { get; } = new();

    /// <summary>Opens the logs in <paramref name="runDirectory"/>, keeping rows up to
    /// <paramref name="resumeIteration"/>.</summary>
    public LossLog(string runDirectory, int resumeIteration)
    {
        string csvPath = Path.Combine(runDirectory, "losses.csv");
        var kept = new List<string>();
        if (resumeIteration > 0 && File.Exists(csvPath))
        {
            foreach (var line in File.ReadLines(csvPath).Skip(1))
            {
                var fields = line.Split(',');
                if (fields.Length >= 2 && int.TryParse(fields[0], CultureInfo.InvariantCulture, out int it) && it <= resumeIteration)
                {
                    kept.Add(line);
                    Losses.Add((it, double.Parse(fields[1], CultureInfo.InvariantCulture)));
                }
            }
        }
        _csv = new StreamWriter(csvPath, append: false);
        _csv.WriteLine(Header);
        foreach (var line in kept) _csv.WriteLine(line);
        _csv.Flush();
        _tensorboard = torch.utils.tensorboard.SummaryWriter(Path.Combine(runDirectory, Trainer.TensorBoardFolder));
    }

    /// <summary>Records one iteration.</summary>
    public void Add(TrainingProgress p)
    {
        _csv.WriteLine(string.Join(",", new[]
        {
            p.Iteration.ToString(CultureInfo.InvariantCulture), F(p.Loss), F(p.Focal), F(p.Pull), F(p.Push), F(p.Offset),
            F(p.LearningRate), F(p.ImagesPerSecond),
        }));
        _csv.Flush();
        Losses.Add((p.Iteration, p.Loss));
        _tensorboard.add_scalar("loss/total", (float)p.Loss, p.Iteration);
        _tensorboard.add_scalar("loss/focal", (float)p.Focal, p.Iteration);
        _tensorboard.add_scalar("loss/pull", (float)p.Pull, p.Iteration);
        _tensorboard.add_scalar("loss/push", (float)p.Push, p.Iteration);
        _tensorboard.add_scalar("loss/offset", (float)p.Offset, p.Iteration);
        _tensorboard.add_scalar("learning_rate", (float)p.LearningRate, p.Iteration);
    }

    /// <summary>Records one validation.</summary>
    public void Add(ValidationResult v)
    {
        ValidationLosses.Add((v.Iteration, v.Loss));
        _tensorboard.add_scalar("validation/loss", (float)v.Loss, v.Iteration);
        if (v.AP is double ap) _tensorboard.add_scalar("validation/AP", (float)ap, v.Iteration);
    }

    static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Closes the CSV (TensorBoard's writer appends and closes its file on each call).</summary>
    public void Dispose() => _csv.Dispose();
}
