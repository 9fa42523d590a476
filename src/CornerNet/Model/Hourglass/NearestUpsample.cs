using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>Nearest-neighbour ×2 up-sampling, the official <c>nn.Upsample(scale_factor=2)</c> (no
/// parameters).</summary>
internal sealed class NearestUpsample() : nn.Module<Tensor, Tensor>("upsample")
{
    /// <inheritdoc/>
    public override Tensor forward(Tensor x) =>
        nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);
}
