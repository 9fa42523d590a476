using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// A module of the network that can fold its BatchNorms for inference and write its eval-mode forward as standard
/// operators (<see cref="IOperatorGraph"/>), so that the ONNX exporter needs no knowledge of any family's blocks.
/// </summary>
internal abstract class NetworkBlock(string name) : nn.Module<Tensor, Tensor>(name)
{
    /// <summary>Folds this block's own BatchNorms into their convolutions (inference only; see
    /// <see cref="BatchNormFolding"/>); child blocks fold themselves.</summary>
    internal virtual void FoldBatchNorm() { }

    /// <summary>Writes the eval-mode forward (BatchNorm folded) of <paramref name="input"/>; returns the output
    /// value.</summary>
    internal abstract string Write(IOperatorGraph graph, string input);
}
