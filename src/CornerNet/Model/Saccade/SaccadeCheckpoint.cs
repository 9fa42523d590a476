using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Reads an official CornerNet-Saccade checkpoint (the trainer's legacy pickle with <c>module.</c> keys, or
/// safetensors) without running code from it, infers the architecture and loads the network strictly by name.
/// </summary>
internal static class SaccadeCheckpoint
{
    /// <summary>The state dict of <paramref name="path"/> with official keys (no <c>module.</c>).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        var result = CheckpointConverter.ReadUnprefixed(path);
        if (!SaccadeConfig.IsSaccadeLayout(result.Keys))
            throw new WeightFileException(path,
                "not a CornerNet-Saccade checkpoint (no att_modules over residual hourglasses)");
        return result;
    }

    /// <summary>Builds the network <paramref name="path"/> describes, loads it and switches it to eval
    /// mode.</summary>
    public static SaccadeModel Import(string path)
    {
        using var scope = NewDisposeScope();
        var tensors = ReadStateDict(path);
        var model = new SaccadeModel(SaccadeConfig.Infer(tensors, path));
        try
        {
            StateDictLoader.Load(model, tensors, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }
}
