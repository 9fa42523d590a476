using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The six head outputs of one stack, named as in the official code: heatmap logits (N×C×H×W, before sigmoid),
/// embeddings (N×1×H×W) and offsets (N×2×H×W, channel 0 = x, 1 = y), for top-left and bottom-right corners. The
/// record owns its tensors only when its creator says so (<see cref="Dispose"/>); the decoder, the pipeline and the
/// loss read them without disposing. In the loss, tags and offsets may be gathered at the ground-truth corners instead
/// (N×K×1 and N×K×2, the official <c>kp._train</c> outputs).
/// </summary>
public sealed record HeadOutputs(Tensor TlHeats, Tensor BrHeats, Tensor TlTags, Tensor BrTags, Tensor TlRegrs, Tensor BrRegrs) : IDisposable
{
    /// <summary>The six tensors under the names used by <c>cornernet forward</c> and the fixtures.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Named()
    {
        yield return new("tl_heats", TlHeats);
        yield return new("br_heats", BrHeats);
        yield return new("tl_tags", TlTags);
        yield return new("br_tags", BrTags);
        yield return new("tl_regrs", TlRegrs);
        yield return new("br_regrs", BrRegrs);
    }

    /// <summary>The six tensors converted to <paramref name="dtype"/> (new tensors).</summary>
    public HeadOutputs To(ScalarType dtype) =>
        new(TlHeats.to(dtype), BrHeats.to(dtype), TlTags.to(dtype), BrTags.to(dtype), TlRegrs.to(dtype), BrRegrs.to(dtype));

    /// <summary>The six tensors in contiguous (NCHW) memory, e.g. after a channels-last network (new tensors).</summary>
    public HeadOutputs Contiguous() =>
        new(TlHeats.contiguous(), BrHeats.contiguous(), TlTags.contiguous(), BrTags.contiguous(), TlRegrs.contiguous(), BrRegrs.contiguous());

    /// <summary>Moves all six tensors out of the current dispose scope.</summary>
    public HeadOutputs MoveToOuterDisposeScope()
    {
        foreach (var (_, t) in Named()) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes the six tensors.</summary>
    public void Dispose()
    {
        foreach (var (_, t) in Named()) t.Dispose();
    }
}
