using CornerNet.Data;
using System.Globalization;
using System.Text.Json;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// A training checkpoint: a model file (official tensor names, config and classes in the metadata, so it can be used
/// for detection as it is) plus the optimizer moments under <c>optimizer.</c> and, in the metadata, the iteration and
/// the optimizer's step count and the run's precision (<see cref="TrainOptions.Precision"/>; tensors are float32 in
/// both). Written atomically, so an interrupted write leaves the previous checkpoint intact.
/// </summary>
internal static class TrainingCheckpoint
{
    const string OptimizerPrefix = ModelFile.OptimizerTensorPrefix;
    // Metadata keys a checkpoint adds to the model file's (ModelFile.Metadata).
    const string IterationKey = "iteration";
    const string OptimizerStepKey = "optimizer_step";
    const string PrecisionKey = "precision";

    static string PrecisionName(Precision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>Writes the checkpoint of <paramref name="iteration"/> of a run in <paramref name="precision"/> to
    /// <paramref name="path"/>.</summary>
    public static void Save(string path, CornerNetModel model, IReadOnlyList<ClassInfo> classes, AdamOptimizer optimizer, int iteration, Precision precision = Precision.Fp32)
    {
        var tensors = model.state_dict().ToList();
        tensors.AddRange(optimizer.StateTensors().Select(kv => new KeyValuePair<string, Tensor>(OptimizerPrefix + kv.Key, kv.Value)));
        var metadata = ModelFile.Metadata(model, classes);
        metadata[IterationKey] = iteration.ToString(CultureInfo.InvariantCulture);
        metadata[OptimizerStepKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
        metadata[PrecisionKey] = PrecisionName(precision);
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Restores model weights and optimizer state from <paramref name="path"/>; returns the iteration it was written
    /// at. A checkpoint of a run in another precision than <paramref name="precision"/> is refused (checkpoints from
    /// before the precision was recorded are fp32).
    /// </summary>
    public static int Load(string path, CornerNetModel model, AdamOptimizer optimizer, Precision precision = Precision.Fp32)
    {
        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(IterationKey, out var iterationText) || !int.TryParse(iterationText, CultureInfo.InvariantCulture, out int iteration)
            || !file.Metadata.TryGetValue(OptimizerStepKey, out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out long step))
            throw new WeightFileException(path, "not a training checkpoint (no iteration/optimizer_step in __metadata__)");
        string saved = file.Metadata.GetValueOrDefault(PrecisionKey, PrecisionName(Precision.Fp32));
        if (saved != PrecisionName(precision))
            throw new InvalidInputException(path, $"the checkpoint was trained in {saved}, not {PrecisionName(precision)}");
        using var scope = NewDisposeScope();
        var all = file.LoadAll();
        var modelTensors = all.Where(kv => !kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var optimizerTensors = all.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[OptimizerPrefix.Length..], kv => kv.Value);
        StateDictLoader.Load(model, modelTensors, path);
        optimizer.LoadState(optimizerTensors, step, path);
        return iteration;
    }
}
