using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Model;

namespace CornerNet.QuickStart;

/// <summary>What a quick start produced and measured.</summary>
/// <param name="OutputDirectory">Absolute output folder.</param>
/// <param name="ModelPath">The trained model file.</param>
/// <param name="Metrics">COCO metrics on the validation split.</param>
/// <param name="Iterations">Optimizer steps done.</param>
/// <param name="DropAfter">Iteration after which the learning rate dropped (null if training ended first).</param>
/// <param name="ImagesSeen">Training images processed (iterations × batch size).</param>
/// <param name="DataSeconds">Wall time of data generation.</param>
/// <param name="TrainSeconds">Wall time of training.</param>
/// <param name="EvaluationSeconds">Wall time of detection, evaluation and plots.</param>
/// <param name="TotalSeconds">Wall time of the whole run.</param>
/// <param name="Classes">The class list (id, name).</param>
public sealed record QuickStartResult(
    string OutputDirectory, string ModelPath, CocoMetrics Metrics, int Iterations, int? DropAfter, long ImagesSeen,
    double DataSeconds, double TrainSeconds, double EvaluationSeconds, double TotalSeconds, IReadOnlyList<ClassInfo> Classes);
