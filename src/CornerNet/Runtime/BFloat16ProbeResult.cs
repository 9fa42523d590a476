using System.Text.Json.Serialization;

namespace CornerNet.Runtime;

/// <summary>
/// What <see cref="BFloat16Probe"/> measured on this host: the best time of its small convolution stack in float32 and
/// in bfloat16, and how long the probe took.
/// </summary>
internal sealed record BFloat16ProbeResult(
    [property: JsonPropertyName("fp32_seconds")] double Fp32Seconds,
    [property: JsonPropertyName("bf16_seconds")] double Bf16Seconds,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>How many times faster bfloat16 ran (float32 time over bfloat16 time).</summary>
    [JsonIgnore]
    public double Speedup => Fp32Seconds / Bf16Seconds;
}
