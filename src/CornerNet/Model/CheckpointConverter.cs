using CornerNet.Data;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// Turns an official CornerNet or CornerNet-Lite (Squeeze, or Lite's own CornerNet) checkpoint (PyTorch zip
/// <c>.pth</c>, legacy pickle <c>.pkl</c>, or a plain safetensors
/// of the state dict) into a model file: reads the tensors without running any code from the file, drops the
/// <c>module.</c> prefix, infers the architecture from names and shapes, loads strictly, and attaches class names.
/// </summary>
internal static class CheckpointConverter
{
    /// <summary>Reads an official checkpoint as a state dict with official keys (no <c>module.</c> prefix).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        var result = ReadUnprefixed(path);
        // A family may read other official namings of its network (the Lite repository's CornerNet) under its own.
        return ArchitectureInference.FamilyOf(result.Keys)?.ToOwnNames(result) ?? result;
    }

    /// <summary>The checkpoint's tensors (legacy pickle, zip or safetensors) without the <c>module.</c> prefix; a name
    /// that appears twice is refused.</summary>
    internal static Dictionary<string, Tensor> ReadUnprefixed(string path)
    {
        IReadOnlyList<KeyValuePair<string, Tensor>> entries = IsSafetensors(path)
            ? SafeTensorsFile.Read(path).LoadAll().ToList()
            : PyTorchCheckpoint.Read(path);
        var stripped = PyTorchCheckpoint.StripModulePrefix(entries);
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in stripped)
            if (!result.TryAdd(name, tensor)) throw new WeightFileException(path, $"tensor '{name}' appears twice");
        return result;
    }

    /// <summary>
    /// Builds the network a checkpoint describes and loads it. <paramref name="classes"/> defaults to the 80 COCO
    /// classes for an 80-class checkpoint, else to "class_1", "class_2", ….
    /// </summary>
    public static (CornerNetModel Model, IReadOnlyList<ClassInfo> Classes) Import(string path, IReadOnlyList<ClassInfo>? classes = null)
    {
        using var scope = NewDisposeScope();
        var tensors = ReadStateDict(path);
        var config = ArchitectureInference.Infer(tensors, path);
        classes ??= config.Classes == 80
            ? CocoClasses.All
            : Enumerable.Range(1, config.Classes).Select(i => new ClassInfo(i, $"class_{i}")).ToArray();
        if (classes.Count != config.Classes)
            throw new InvalidInputException(path, $"the checkpoint has {config.Classes} classes but {classes.Count} class names were given");
        var model = new CornerNetModel(config);
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
        return (model, classes);
    }

    /// <summary>Converts <paramref name="checkpointPath"/> to a model file at <paramref name="outputPath"/>; returns
    /// the inferred config.</summary>
    public static CornerNetConfig Convert(string checkpointPath, string outputPath, IReadOnlyList<ClassInfo>? classes = null)
    {
        var (model, classList) = Import(checkpointPath, classes);
        using (model)
        {
            ModelFile.Save(outputPath, model, classList);
            return model.Config;
        }
    }

    static bool IsSafetensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
