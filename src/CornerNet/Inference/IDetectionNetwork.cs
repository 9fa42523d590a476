using CornerNet.Data;
using CornerNet.Model;

namespace CornerNet.Inference;

/// <summary>
/// What runs the network inside a <see cref="Detector"/>: TorchSharp on a model (<see cref="TorchNetwork"/>) or ONNX
/// Runtime on an exported model (<see cref="OnnxRuntimeNetwork"/>). Both hand their heads to the same test procedure.
/// </summary>
public interface IDetectionNetwork : IDisposable
{
    /// <summary>The architecture: classes, stride, mean/std and channel order of the input.</summary>
    CornerNetConfig Config { get; }

    /// <summary>Which engine this is.</summary>
    InferenceEngine Engine { get; }

    /// <summary>The official test procedure around this network with <paramref name="options"/>.</summary>
    DetectionPipeline CreatePipeline(DetectionOptions options);
}
