using CornerNet.Inference;
using CornerNet.Model;

namespace CornerNet.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The default ONNX operator set version.</summary>
    public const int DefaultOpset = 17;

    /// <summary>Lowest supported opset: the operators used (Conv, Relu, Add, Max, Pad, Slice, Resize) have one
    /// signature from 13 to 21.</summary>
    public const int MinOpset = 13;

    /// <summary>Highest supported opset.</summary>
    public const int MaxOpset = 21;

    /// <summary>ONNX operator set version (<see cref="MinOpset"/> to <see cref="MaxOpset"/>); the IR version follows
    /// it.</summary>
    public int Opset { get; init; } = DefaultOpset;

    /// <summary>
    /// False (default): the graph has a fixed 1×3×H×W input (<see cref="InputSize"/>). True: batch, height and width
    /// are symbolic, so the test procedure's per-image sizes ((h·s) | 127) run; sides up to <see cref="MaxInputSide"/>.
    /// </summary>
    public bool DynamicSize { get; init; }

    /// <summary>Fixed input size [height, width]; null means the model config's <c>input_size</c>. Ignored when
    /// dynamic.</summary>
    public int[]? InputSize { get; init; }

    /// <summary>
    /// Largest input side a dynamic-size graph accepts. Corner pooling is a running maximum, exported as a doubling
    /// scan whose step count is fixed in the graph (⌈log2⌉ of the largest heatmap side), so a longer side would be
    /// pooled only partly; <see cref="OnnxRuntimeNetwork"/> refuses such inputs. Default 2047 (heatmap 512, 9 steps).
    /// </summary>
    public int MaxInputSide { get; init; } = DefaultMaxInputSide;

    /// <summary>The default <see cref="MaxInputSide"/>.</summary>
    public const int DefaultMaxInputSide = 2047;

    /// <summary>The IR version that goes with <paramref name="opset"/> (the ONNX release that introduced that
    /// opset).</summary>
    public static int IrVersionFor(int opset) => opset switch
    {
        13 or 14 => 7,
        >= 15 and <= 18 => 8,
        19 or 20 => 9,
        21 => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(opset), $"opset {opset} is not supported ({MinOpset}–{MaxOpset})"),
    };

    /// <summary>The fixed input size to export for <paramref name="config"/>.</summary>
    public int[] FixedInputSize(CornerNetConfig config) => InputSize ?? config.InputSize;

    /// <summary>Checks the options against <paramref name="config"/>; throws <see cref="InvalidInputException"/> naming
    /// the problem.</summary>
    public void Validate(CornerNetConfig config)
    {
        if (Opset < MinOpset || Opset > MaxOpset)
            throw new InvalidInputException(null, $"--opset {Opset} is not supported (use {MinOpset} to {MaxOpset}; default {DefaultOpset})");
        var sides = DynamicSize ? new[] { MaxInputSide } : FixedInputSize(config);
        if (sides.Length != 2 && !DynamicSize) throw new InvalidInputException(null, "the input size must be height × width");
        foreach (int side in sides)
        {
            if (!config.AcceptsInputSide(side))
                throw new InvalidInputException(null, $"input side {side} gives a {config.OutputSizeFor(side)}-pixel map, which {config.Levels} hourglass levels cannot halve evenly (use 128k − 1, e.g. 511)");
        }
    }
}
