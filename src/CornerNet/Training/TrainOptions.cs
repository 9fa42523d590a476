using System.Text.Json;
using System.Text.Json.Serialization;
using CornerNet.Model;
using CornerNet.Runtime;

namespace CornerNet.Training;

/// <summary>
/// Everything that determines a training run (paper §4.1 defaults where they apply). Saved as
/// <c>train_options.json</c> in the run folder so that <c>--resume</c> continues with exactly the same settings.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>The network to train (its <c>classes</c> must equal the dataset's class count).</summary>
    [JsonPropertyName("model")] public CornerNetConfig Model { get; init; } = ModelPresets.Hourglass104;

    /// <summary>Images per optimizer step before accumulation (the paper: 49 on 10 GPUs).</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 4;

    /// <summary>Batches whose gradients are summed (and averaged) before one optimizer step.</summary>
    [JsonPropertyName("accumulate")] public int Accumulate { get; init; } = 1;

    /// <summary>Optimizer steps to run (the paper: 250k at 49 images; the official code: 500k).</summary>
    [JsonPropertyName("iterations")] public int Iterations { get; init; } = 1000;

    /// <summary>Adam learning rate (the paper: 2.5e-4).</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 2.5e-4;

    /// <summary>Iterations after which the learning rate is multiplied by <see cref="LearningRateFactor"/>.</summary>
    [JsonPropertyName("lr_steps")] public int[] LearningRateSteps { get; init; } = Array.Empty<int>();

    /// <summary>Factor applied at each of <see cref="LearningRateSteps"/> (0.1).</summary>
    [JsonPropertyName("lr_factor")] public double LearningRateFactor { get; init; } = 0.1;

    /// <summary>Seed of the data order, augmentation and weight initialisation.</summary>
    [JsonPropertyName("seed")] public int Seed { get; init; }

    /// <summary>Write a checkpoint every this many iterations (and at the end, and on Ctrl-C).</summary>
    [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; } = 500;

    /// <summary>Validate every this many iterations when a validation set is given (0: only at the end).</summary>
    [JsonPropertyName("validate_every")] public int ValidateEvery { get; init; }

    /// <summary>Heatmap radius rule: "official" (today's formula, t = 0.3), "legacy2018" (t = 0.7) or "fixed"
    /// (2.5).</summary>
    [JsonPropertyName("radius_rule")] public string RadiusRule { get; init; } = "official";

    /// <summary>IoU threshold t (official, legacy2018) or the radius (fixed); null for the rule's default.</summary>
    [JsonPropertyName("radius_value")] public double? RadiusValue { get; init; }

    /// <summary>Reduce the penalty near ground-truth corners with Gaussians (Eq. 1); off = Table 2's "w/o reducing
    /// penalty".</summary>
    [JsonPropertyName("penalty_reduction")] public bool PenaltyReduction { get; init; } = true;

    /// <summary>Objects per image that get embedding and offset targets (official: 128).</summary>
    [JsonPropertyName("max_objects")] public int MaxObjects { get; init; } = 128;

    /// <summary>Random crop/scale, flip, colour jitter and lighting as in the official sampler.</summary>
    [JsonPropertyName("augment")] public bool Augment { get; init; } = true;

    /// <summary>Loader worker threads (0: one per processor).</summary>
    [JsonPropertyName("workers")] public int Workers { get; init; }

    /// <summary>Leave out training images whose file is missing or corrupt (reported as a warning) instead of
    /// stopping.</summary>
    [JsonPropertyName("skip_bad_images")] public bool SkipBadImages { get; init; }

    /// <summary>Weights of the pull, push and offset losses (Eq. 8: 0.1, 0.1, 1).</summary>
    [JsonPropertyName("pull_weight")] public double PullWeight { get; init; } = CornerNetLoss.DefaultPullWeight;

    /// <summary>See <see cref="PullWeight"/>.</summary>
    [JsonPropertyName("push_weight")] public double PushWeight { get; init; } = CornerNetLoss.DefaultPushWeight;

    /// <summary>See <see cref="PullWeight"/>.</summary>
    [JsonPropertyName("offset_weight")] public double OffsetWeight { get; init; } = CornerNetLoss.DefaultOffsetWeight;

    /// <summary>
    /// <see cref="Precision.Fp32"/> (the default) or <see cref="Precision.Bf16"/>: mixed precision, with convolutions
    /// (the heads' excepted) in bfloat16 and float32 master weights, Adam moments, BatchNorm statistics and losses
    /// (<see cref="Precision.Auto"/> is not accepted: a run's numbers should not depend on the host). Kept by
    /// <c>--resume</c>.
    /// </summary>
    [JsonPropertyName("precision")] public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>The radius setting these options describe.</summary>
    internal RadiusSetting Radius() => RadiusRule.ToLowerInvariant() switch
    {
        "official" => RadiusValue is double t ? RadiusSetting.Official(t) : RadiusSetting.Official(),
        "legacy2018" => RadiusValue is double t ? RadiusSetting.Legacy2018(t) : RadiusSetting.Legacy2018(),
        "fixed" => RadiusValue is double r ? RadiusSetting.Fixed(r) : RadiusSetting.Fixed(),
        _ => throw new InvalidInputException(null, $"unknown radius rule '{RadiusRule}' (official, legacy2018, fixed)"),
    };

    /// <summary>Checks ranges; throws <see cref="InvalidInputException"/> naming the option.</summary>
    public void Validate()
    {
        Model.Validate("model config");
        if (BatchSize < 1) throw new InvalidInputException(null, "batch size must be ≥ 1");
        if (Accumulate < 1) throw new InvalidInputException(null, "accumulate must be ≥ 1");
        if (Iterations < 1) throw new InvalidInputException(null, "iterations must be ≥ 1");
        if (!(LearningRate > 0)) throw new InvalidInputException(null, "learning rate must be positive");
        if (CheckpointEvery < 1) throw new InvalidInputException(null, "checkpoint interval must be ≥ 1");
        if (MaxObjects < 1) throw new InvalidInputException(null, "max objects must be ≥ 1");
        if (Precision is not (Precision.Fp32 or Precision.Bf16)) throw new InvalidInputException(null, $"training precision must be fp32 or bf16, got {Precision}");
        Radius();
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    /// <summary>Serializes to indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses JSON written by <see cref="ToJson"/>; <paramref name="source"/> names the file for
    /// errors.</summary>
    public static TrainOptions FromJson(string json, string source)
    {
        try
        {
            var options = JsonSerializer.Deserialize<TrainOptions>(json, Json) ?? throw new InvalidInputException(source, "empty training options");
            options.Validate();
            return options;
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(source, $"training options are not valid JSON ({e.Message.Split('\n')[0]})");
        }
    }
}
