namespace CornerNet.Training;

/// <summary>The loss became NaN or infinite; training stopped and the last checkpoint on disk is the last good
/// state.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>The iteration whose loss was not finite.</summary>
    public int Iteration { get; }

    /// <summary>Creates the error for <paramref name="iteration"/>.</summary>
    public TrainingDivergedException(int iteration, string detail)
        : base($"loss is not finite at iteration {iteration} ({detail}); training stopped, the last checkpoint is kept — lower the learning rate or check the data")
    {
        Iteration = iteration;
    }
}
