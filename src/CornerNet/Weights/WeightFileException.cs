namespace CornerNet.Weights;

/// <summary>
/// A weight or model file that cannot be used: missing, truncated, corrupt, hostile, or not matching the model.
/// The message is one line and names the file and the problem.
/// </summary>
public sealed class WeightFileException : InvalidInputException
{
    /// <summary>Creates the error for <paramref name="filePath"/> with a one-line <paramref name="problem"/>.</summary>
    public WeightFileException(string filePath, string problem, Exception? inner = null)
        : base(filePath, problem, inner)
    {
    }
}
