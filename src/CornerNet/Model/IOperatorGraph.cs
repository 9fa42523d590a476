using TorchSharp.Modules;

namespace CornerNet.Model;

/// <summary>
/// Standard operators that <see cref="NetworkBlock"/>s write themselves into; values are named by strings. The ONNX
/// exporter implements it; parameters are named after the modules that hold them (their state-dict names).
/// </summary>
internal interface IOperatorGraph
{
    /// <summary>A convolution with its (folded) weight and bias; <paramref name="output"/> names a graph
    /// output.</summary>
    string Conv(Conv2d conv, string x, string? output = null);

    /// <summary>A transposed convolution with its weight and bias.</summary>
    string ConvTranspose(ConvTranspose2d conv, string x);

    /// <summary>ReLU.</summary>
    string Relu(string x);

    /// <summary>Element-wise sum.</summary>
    string Add(string a, string b);

    /// <summary>Concatenation along channels.</summary>
    string ConcatChannels(string a, string b);

    /// <summary>Nearest-neighbour ×2 up-sampling (PyTorch's <c>interpolate(scale_factor=2)</c>).</summary>
    string NearestUpsample2x(string x);

    /// <summary>Running maximum along <paramref name="axis"/> (2: rows, 3: columns), toward the end (max of x[i..])
    /// or the start (max of x[..i]): corner pooling.</summary>
    string RunningMax(string x, int axis, bool towardEnd);
}
