using System.Text.Json;
using System.Text.Json.Serialization;

namespace CornerNet.Experiments;

/// <summary>What one arm × seed produced: training cost and the COCO stats of each evaluation variant.</summary>
sealed class RunResult
{
    [JsonPropertyName("arm")] public string Arm { get; set; } = "";
    [JsonPropertyName("seed")] public int Seed { get; set; }
    [JsonPropertyName("iterations")] public int Iterations { get; set; }
    [JsonPropertyName("train_wall_s")] public double TrainWallSeconds { get; set; }
    [JsonPropertyName("train_cpu_s")] public double TrainCpuSeconds { get; set; }
    [JsonPropertyName("load_start")] public string LoadStart { get; set; } = "";
    [JsonPropertyName("load_end")] public string LoadEnd { get; set; } = "";
    [JsonPropertyName("started_utc")] public string StartedUtc { get; set; } = "";
    [JsonPropertyName("final_loss")] public double FinalLoss { get; set; }
    [JsonPropertyName("parameters")] public long Parameters { get; set; }

    /// <summary>Evaluation variant → the 12 COCO stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl).</summary>
    [JsonPropertyName("stats")] public Dictionary<string, double[]> Stats { get; set; } = new();

    /// <summary>Evaluation variant → wall seconds.</summary>
    [JsonPropertyName("eval_wall_s")] public Dictionary<string, double> EvalWallSeconds { get; set; } = new();

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static RunResult? Read(string path) => File.Exists(path) ? JsonSerializer.Deserialize<RunResult>(File.ReadAllText(path), Json) : null;

    public void Write(string path)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
