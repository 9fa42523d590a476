namespace CornerNet.QuickStart;

/// <summary>
/// Settings of <see cref="QuickStartRun"/>. The defaults are the measured recipe of experiments/RESULTS.md: the tiny
/// preset on 127-pixel synthetic shapes (at most 6 per image), 4000 training images, batch 8, Adam 1.5e-3, learning
/// rate ×0.1 for the last 15 % of the training time, no augmentation.
/// </summary>
public sealed record QuickStartOptions
{
    /// <summary>Folder that receives the model, drawings, plots, metrics and report.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("out", "quickstart");

    /// <summary>Wall-clock budget of the whole run (data, training, evaluation); training gets what the rest
    /// leaves.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Synthetic training images (generated in memory, seed <see cref="TrainSeed"/>).</summary>
    public int TrainImages { get; init; } = 4000;

    /// <summary>Held-out validation images (written as a COCO dataset, seed <see cref="ValidationSeed"/>).</summary>
    public int ValidationImages { get; init; } = 100;

    /// <summary>Seed of the training images.</summary>
    public int TrainSeed { get; init; } = 1;

    /// <summary>Seed of the validation images (different from the training seed, so the split is held out).</summary>
    public int ValidationSeed { get; init; } = 2;

    /// <summary>Side of the square synthetic images; also the network input (the tiny preset's 127).</summary>
    public int ImageSize { get; init; } = 127;

    /// <summary>The model preset trained: "tiny" (the recipe's) or "squeeze-tiny" (CornerNet-Squeeze, stride
    /// 8).</summary>
    public string Preset { get; init; } = "tiny";

    /// <summary>Presets <see cref="Preset"/> accepts: the ones that train on two CPU cores.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "squeeze-tiny"];

    /// <summary>Most objects per synthetic image.</summary>
    public int MaxObjects { get; init; } = 6;

    /// <summary>Seed of initialisation and data order.</summary>
    public int Seed { get; init; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Adam learning rate before the drop.</summary>
    public double LearningRate { get; init; } = 1.5e-3;

    /// <summary>Share of the training time at the initial learning rate; the rest runs at a tenth of it.</summary>
    public double DropFraction { get; init; } = 0.85;

    /// <summary>Validation images drawn with their detections.</summary>
    public int DrawnImages { get; init; } = 12;

    /// <summary>Minimum score of a drawn detection.</summary>
    public float DrawThreshold { get; init; } = 0.3f;

    /// <summary>Checks the settings; throws <see cref="InvalidInputException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Budget < TimeSpan.FromSeconds(10)) throw new InvalidInputException(null, $"--minutes must give at least 10 seconds, got {Budget.TotalMinutes:G3}");
        if (TrainImages < BatchSize) throw new InvalidInputException(null, $"--train-images must be at least the batch size ({BatchSize}), got {TrainImages}");
        if (!PresetNames.Contains(Preset)) throw new InvalidInputException(null, $"--preset must be one of {string.Join(", ", PresetNames)}, got '{Preset}'");
        if (ValidationImages < 1) throw new InvalidInputException(null, $"--val-images must be at least 1, got {ValidationImages}");
        if (BatchSize < 1) throw new InvalidInputException(null, $"--batch-size must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0)) throw new InvalidInputException(null, $"--lr must be positive, got {LearningRate}");
        if (DropFraction is <= 0 or > 1) throw new InvalidInputException(null, $"the drop fraction must lie in (0, 1], got {DropFraction}");
    }
}
