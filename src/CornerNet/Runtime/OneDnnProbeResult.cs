using System.Text.Json.Serialization;

namespace CornerNet.Runtime;

/// <summary>
/// What <see cref="OneDnnProbe"/> found on this host: whether oneDNN's float32 forward and backward-data (input
/// gradient) convolution kernels agree with float64 on the shapes known to fault, the worst relative error of each,
/// and how long the probe took.
/// </summary>
internal sealed record OneDnnProbeResult(
    [property: JsonPropertyName("forward_correct")] bool ForwardCorrect,
    [property: JsonPropertyName("forward_error")] double ForwardError,
    [property: JsonPropertyName("input_gradient_correct")] bool InputGradientCorrect,
    [property: JsonPropertyName("input_gradient_error")] double InputGradientError,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>"correct (worst relative error 3.1e-07)" or "WRONG (worst relative error 0.23)".</summary>
    public static string Verdict(bool correct, double error) =>
        $"{(correct ? "correct" : "WRONG")} (worst relative error {(double.IsNaN(error) ? "NaN" : error.ToString("G2", System.Globalization.CultureInfo.InvariantCulture))})";
}
