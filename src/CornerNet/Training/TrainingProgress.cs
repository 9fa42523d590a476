namespace CornerNet.Training;

/// <summary>One progress report of a training run, after an optimizer step.</summary>
public sealed record TrainingProgress(
    int Iteration, int Iterations, double Loss, double Focal, double Pull, double Push, double Offset,
    double LearningRate, double ImagesPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>Validation results at one iteration: loss on the validation set and, when computed, COCO AP.</summary>
public sealed record ValidationResult(int Iteration, double Loss, double? AP);
