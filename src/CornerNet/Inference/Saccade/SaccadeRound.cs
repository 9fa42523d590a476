using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// What one pass of the Saccade test procedure saw and produced (the first pass on the downsized photo, then each
/// crop round), for inspection and the parity tests. Arrays are row-major copies; nothing here owns native memory.
/// </summary>
internal sealed class SaccadeRound
{
    /// <summary>The locations cropped in this pass.</summary>
    public required IReadOnlyList<SaccadeLocation> Locations { get; init; }

    /// <summary>Crop offsets (top, left) per location, N×2.</summary>
    public required float[] Offsets { get; init; }

    /// <summary>The normalized network input, N×3×H×W.</summary>
    public required float[] Input { get; init; }

    /// <summary>The decode of each crop (output-map coordinates), N×K×8.</summary>
    public required float[] Detections { get; init; }

    /// <summary>Per attention level, the maps after the sigmoid (N×1×h×w), or none when attention was off.</summary>
    public required IReadOnlyList<SaccadeAttentionMaps> Attentions { get; init; }

    /// <summary>Per attention level, the maps after the peak suppression.</summary>
    public required IReadOnlyList<SaccadeAttentionMaps> AttentionPeaks { get; init; }

    /// <summary><see cref="Detections"/> in photo pixels.</summary>
    public required float[] Remapped { get; init; }

    /// <summary>The rows this pass contributes to the merge.</summary>
    public required IReadOnlyList<float[]> Kept { get; init; }

    /// <summary>Locations decoded from this pass's attention for the next round (empty when none follows).</summary>
    public IReadOnlyList<SaccadeLocation> FromAttention { get; set; } = [];

    /// <summary>Locations from this pass's confident detections.</summary>
    public IReadOnlyList<SaccadeLocation> References { get; set; } = [];

    /// <summary>The locations of the next round, after location NMS.</summary>
    public IReadOnlyList<SaccadeLocation> Next { get; set; } = [];

    internal static float[] Copy(Tensor t) => t.contiguous().data<float>().ToArray();
}
