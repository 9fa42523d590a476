using System.Text.Json.Serialization;

namespace CornerNet.Runtime;

/// <summary>
/// One measured figure: wall-clock times of <see cref="Runs"/> timed runs (after warm-up) and figure-specific extras
/// (e.g. <c>gflop_per_s</c>, <c>images_per_s</c>). Serialized as
/// <c>{"name","unit","median_ms","min_ms","max_ms","runs",…extra}</c>.
/// </summary>
internal sealed record BenchmarkRecord
{
    /// <summary>The figure's name, e.g. <c>forward_hourglass104_511</c>.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Unit of the times (always milliseconds of one run; what one run does is in the name and
    /// extras).</summary>
    [JsonPropertyName("unit")] public string Unit { get; init; } = "ms";

    /// <summary>Median time of one run.</summary>
    [JsonPropertyName("median_ms")] public double MedianMs { get; init; }

    /// <summary>Fastest run.</summary>
    [JsonPropertyName("min_ms")] public double MinMs { get; init; }

    /// <summary>Slowest run.</summary>
    [JsonPropertyName("max_ms")] public double MaxMs { get; init; }

    /// <summary>Number of timed runs.</summary>
    [JsonPropertyName("runs")] public int Runs { get; init; }

    /// <summary>Figure-specific numbers and notes, written as further JSON properties.</summary>
    [JsonExtensionData] public Dictionary<string, object> Extra { get; init; } = new();

    /// <summary>Builds a record from run times in milliseconds.</summary>
    public static BenchmarkRecord FromTimes(string name, IReadOnlyList<double> timesMs)
    {
        if (timesMs.Count == 0) throw new ArgumentException("at least one run is needed", nameof(timesMs));
        var sorted = timesMs.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new BenchmarkRecord { Name = name, MedianMs = median, MinMs = sorted[0], MaxMs = sorted[^1], Runs = n };
    }

    /// <summary>One line for the console: name, median, min, max, runs and the extras.</summary>
    public override string ToString()
    {
        string extras = string.Join("  ", Extra.Select(e => $"{e.Key}={Format(e.Value)}"));
        return FormattableString.Invariant($"{Name,-42} median {MedianMs,10:F1} ms  min {MinMs,10:F1}  max {MaxMs,10:F1}  ({Runs} runs)  {extras}").TrimEnd();
    }

    static string Format(object value) => value switch
    {
        double d => d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
