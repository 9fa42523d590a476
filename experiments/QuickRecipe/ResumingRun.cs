using System.Runtime.InteropServices;
using CornerNet.Training;

namespace CornerNet.Experiments;

/// <summary>
/// Runs a trainer and, when libtorch raises an error mid-run, resumes from the checkpoint the trainer wrote on the way
/// out. Works around an intermittent crash in TorchSharp's BatchNorm.forward (a temporary Scalar of
/// num_batches_tracked.add_(1) corrupted, most likely freed by its finalizer during the native call), seen twice
/// after 470–810 iterations. Resuming continues the same data order, so the run is otherwise unchanged.
/// </summary>
static class ResumingRun
{
    public static int Run(Trainer trainer, bool resume, CancellationToken cancel)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return trainer.Run(resume, cancel);
            }
            catch (ExternalException e) when (attempt < 5)
            {
                // Not in the filter: filters run before the trainer's finally block has written the checkpoint.
                if (!File.Exists(trainer.CheckpointPath)) throw;
                Console.WriteLine($"libtorch error ({e.Message.Split('\n')[0]}); resuming from the checkpoint");
                resume = true;
            }
        }
    }
}
