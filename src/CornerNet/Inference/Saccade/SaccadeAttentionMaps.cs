using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>One attention level of a batch: N maps of <paramref name="Height"/> × <paramref name="Width"/>
/// values, row-major (a copy of an N×1×h×w tensor).</summary>
internal sealed record SaccadeAttentionMaps(float[] Values, int Height, int Width)
{
    /// <summary>A copy of an N×1×h×w float32 tensor.</summary>
    public static SaccadeAttentionMaps From(Tensor maps) =>
        new(maps.contiguous().data<float>().ToArray(), (int)maps.shape[2], (int)maps.shape[3]);
}
