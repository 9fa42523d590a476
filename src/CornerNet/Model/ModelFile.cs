using CornerNet.Data;
using System.Text.Json;
using CornerNet.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// The project's model file: one safetensors file whose tensors carry the official state-dict names and whose
/// <c>__metadata__</c> holds <c>config</c> (<see cref="CornerNetConfig"/> as JSON), <c>classes</c> (JSON list of
/// {id, name}) and <c>format_version</c>. A model file is everything needed to run detection.
/// </summary>
public static class ModelFile
{
    /// <summary>The format version this code writes and reads.</summary>
    public const string FormatVersion = "1";

    // The __metadata__ keys of a model file (a training checkpoint adds its own beside them).
    const string ConfigKey = "config";
    const string ClassesKey = "classes";
    const string FormatVersionKey = "format_version";

    /// <summary>Tensors under this prefix are a training checkpoint's optimizer state; detection ignores
    /// them.</summary>
    internal const string OptimizerTensorPrefix = "optimizer.";

    /// <summary>Writes <paramref name="model"/> with its class list to <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, CornerNetModel model, IReadOnlyList<ClassInfo> classes) =>
        SafeTensorsFile.Write(path, model.state_dict(), Metadata(model, classes));

    /// <summary>The model-file <c>__metadata__</c> of <paramref name="model"/> and its classes (checked against each
    /// other).</summary>
    internal static Dictionary<string, string> Metadata(CornerNetModel model, IReadOnlyList<ClassInfo> classes)
    {
        if (model.IsBatchNormFolded) throw new InvalidOperationException("a network with folded BatchNorm cannot be saved as a model file");
        if (classes.Count != model.Config.Classes)
            throw new ArgumentException($"{classes.Count} class names for a model with {model.Config.Classes} classes");
        return new Dictionary<string, string>
        {
            [ConfigKey] = model.Config.ToJson(),
            [ClassesKey] = JsonSerializer.Serialize(classes),
            [FormatVersionKey] = FormatVersion,
        };
    }

    /// <summary>
    /// Converts an official CornerNet or CornerNet-Lite checkpoint into a model file, as <c>cornernet convert</c>
    /// does: a PyTorch zip <c>.pth</c>, a legacy pickle <c>.pkl</c> (such as the released
    /// <c>CornerNet_500000.pkl</c>) or a state-dict <c>.safetensors</c>. The tensors are read without running any code
    /// from the file, the architecture is inferred from their names and shapes, and the weights load strictly.
    /// </summary>
    /// <param name="checkpointPath">The official checkpoint.</param>
    /// <param name="outputPath">The model file to write (written under a temporary name, then renamed).</param>
    /// <param name="classes">One name per class of the checkpoint; default: COCO's 80 classes for an 80-class
    /// checkpoint, else <c>class_1</c>, <c>class_2</c>, ….</param>
    /// <returns>The inferred architecture.</returns>
    /// <exception cref="InvalidInputException">The checkpoint is unreadable, hostile or not a CornerNet, or the class
    /// count differs (the message names the file and the problem).</exception>
    public static CornerNetConfig ConvertOfficial(string checkpointPath, string outputPath,
        IReadOnlyList<ClassInfo>? classes = null) =>
        CheckpointConverter.Convert(checkpointPath, outputPath, classes);

    /// <summary>Reads the config and class list of a model file without loading its weights.</summary>
    public static (CornerNetConfig Config, IReadOnlyList<ClassInfo> Classes) ReadHeader(string path)
    {
        var file = SafeTensorsFile.Read(path);
        return ParseMetadata(file);
    }

    /// <summary>Loads a model file into a new network (on the CPU, in eval mode) with its classes.</summary>
    public static (CornerNetModel Model, IReadOnlyList<ClassInfo> Classes) Load(string path)
    {
        var file = SafeTensorsFile.Read(path);
        var (config, classes) = ParseMetadata(file);
        var model = new CornerNetModel(config);
        try
        {
            using var scope = NewDisposeScope();
            var weights = file.LoadAll().Where(kv => !kv.Key.StartsWith(OptimizerTensorPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            StateDictLoader.Load(model, weights, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return (model, classes);
    }

    static (CornerNetConfig, IReadOnlyList<ClassInfo>) ParseMetadata(SafeTensorsFile file)
    {
        string path = file.Path;
        if (!file.Metadata.TryGetValue(FormatVersionKey, out var version))
            throw new WeightFileException(path, "not a CornerNet model file (no format_version in __metadata__; to import an official checkpoint use 'cornernet convert')");
        if (version != FormatVersion)
            throw new WeightFileException(path, $"model file format_version {version} is not supported (this build reads {FormatVersion})");
        if (!file.Metadata.TryGetValue(ConfigKey, out var configJson))
            throw new WeightFileException(path, "model file has no config in __metadata__");
        var config = CornerNetConfig.FromJson(configJson, path);
        if (!file.Metadata.TryGetValue(ClassesKey, out var classesJson))
            throw new WeightFileException(path, "model file has no classes in __metadata__");
        return (config, ParseClasses(classesJson, config, path, "classes in __metadata__"));
    }

    /// <summary>
    /// The class list stored beside a model (JSON list of {id, name}, one per class of <paramref name="config"/>);
    /// <paramref name="what"/> names it in the error (also used for ONNX metadata).
    /// </summary>
    internal static ClassInfo[] ParseClasses(string json, CornerNetConfig config, string path, string what)
    {
        ClassInfo[]? classes;
        try { classes = JsonSerializer.Deserialize<ClassInfo[]>(json); }
        catch (JsonException e) { throw new WeightFileException(path, $"{what} are not valid JSON ({e.Message.Split('\n')[0]})"); }
        if (classes is null || classes.Length != config.Classes || classes.Any(c => c is null || c.Name is null))
            throw new WeightFileException(path, $"{what} must list {config.Classes} entries of {{id, name}}");
        return classes;
    }
}
