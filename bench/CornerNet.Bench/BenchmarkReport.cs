using System.Text.Json;
using System.Text.Json.Serialization;
using CornerNet.Runtime;

namespace CornerNet.Benchmarks;

/// <summary>The result of a benchmark run: the machine, the measured figures and notes (e.g. figures skipped and
/// why).</summary>
internal sealed record BenchmarkReport
{
    /// <summary>Where it ran.</summary>
    [JsonPropertyName("machine")] public required MachineDescription Machine { get; init; }

    /// <summary>The measured figures, in the order measured.</summary>
    [JsonPropertyName("records")] public required IReadOnlyList<BenchmarkRecord> Records { get; init; }

    /// <summary>Remarks such as skipped figures.</summary>
    [JsonPropertyName("notes")] public IReadOnlyList<string> Notes { get; init; } = [];

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes the JSON to <paramref name="path"/> (through a temporary file, then renamed).</summary>
    public void WriteJson(string path)
    {
        AtomicFile.WriteAllText(path, ToJson());
    }
}
