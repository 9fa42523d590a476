namespace CornerNet.Inference;

/// <summary>What runs the network inside a <see cref="Detector"/>.</summary>
public enum InferenceEngine
{
    /// <summary>TorchSharp (libtorch) on a model file (.safetensors).</summary>
    Torch,
    /// <summary>ONNX Runtime on a model exported with <c>cornernet export</c> (.onnx).</summary>
    OnnxRuntime,
}
