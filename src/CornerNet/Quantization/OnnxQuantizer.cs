using System.Text.Json;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;

namespace CornerNet.Quantization;

/// <summary>
/// Post-training int8 quantization of a CornerNet model for ONNX Runtime: the float network (exported with dynamic
/// sizes, or an exported .onnx file) runs the test procedure on calibration images while the inputs and outputs of its
/// convolutions are observed (<see cref="ActivationCalibrator"/>); the graph is then rewritten to the QDQ format
/// (<see cref="QdqRewriter"/>) with the export's metadata kept, so <see cref="OnnxRuntimeNetwork"/>,
/// <see cref="Detector"/> and the CLI run the result like any exported model.
/// </summary>
public static class OnnxQuantizer
{
    /// <summary>
    /// Calibrates <paramref name="modelPath"/> (.safetensors model file, or a float .onnx from <c>cornernet export
    /// --dynamic-size</c>) on <paramref name="imagePaths"/> and writes the int8 model to <paramref name="outputPath"/>
    /// atomically. <paramref name="progress"/> receives the number of images done. Bad input throws
    /// <see cref="InvalidInputException"/>.
    /// </summary>
    public static QuantizationReport Quantize(string modelPath, IReadOnlyList<string> imagePaths, string outputPath,
        QuantizationOptions? options = null, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        options ??= new QuantizationOptions();
        options.Validate();
        if (imagePaths.Count == 0) throw new InvalidInputException(null, "no calibration images");
        var (model, config) = LoadFloatModel(modelPath, options);
        var (plan, type, choice, range) = Rewrite(model, options, modelPath, network =>
        {
            var pipeline = DetectionPipeline.ForNetwork(network, config, options.Test);
            for (int i = 0; i < imagePaths.Count; i++)
            {
                pipeline.Detect(ImageDecoder.Decode(imagePaths[i]));
                progress?.Invoke(i + 1);
            }
        });
        model.SetMetadata(OnnxMetadata.QuantizationKey, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["percentile"] = options.Percentile,
            ["activations"] = type.ToString().ToLowerInvariant(),
            ["weights"] = options.PerChannel ? "int8 per output channel" : "int8 per tensor",
            [WeightRangeKey] = AutoWeightRange.Name(range.Chosen),
            ["weight_range_choice"] = range.Reason,
            ["images"] = imagePaths.Count,
            ["flip"] = options.Test.Flip,
            ["quantized_convolutions"] = plan.Convolutions.Count,
            ["float_convolutions"] = plan.FloatConvolutions,
        }));
        byte[] bytes = model.ToBytes();
        AtomicFile.WriteAllBytes(outputPath, bytes);
        return new QuantizationReport(imagePaths.Count, plan.Convolutions.Count, plan.FloatConvolutions, type, choice,
            bytes.LongLength, range.Chosen, range.Reason);
    }

    /// <summary>
    /// Quantizes a float graph in memory (the benchmark's path): <paramref name="calibrate"/> drives the observing
    /// network with the calibration batches. Returns the int8 model's bytes.
    /// </summary>
    internal static byte[] Quantize(byte[] floatModel, QuantizationOptions options, Action<Func<TorchSharp.torch.Tensor, HeadOutputs>> calibrate)
    {
        var model = OnnxModel.Read(floatModel, null);
        var (plan, type, _, range) = Rewrite(model, options, null, calibrate);
        model.SetMetadata(OnnxMetadata.QuantizationKey, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["activations"] = type.ToString().ToLowerInvariant(),
            [WeightRangeKey] = AutoWeightRange.Name(range.Chosen),
            ["quantized_convolutions"] = plan.Convolutions.Count,
        }));
        return model.ToBytes();
    }

    /// <summary>The quantization metadata's entry naming the weight range (<c>full</c> or <c>reduced</c>); read by
    /// <see cref="OnnxRuntimeNetwork"/> under the same name.</summary>
    internal const string WeightRangeKey = OnnxRuntimeNetwork.WeightRangeEntry;

    static (QdqRewriter.Plan Plan, ActivationType Type, string Choice, AutoWeightRange Range) Rewrite(OnnxModel model,
        QuantizationOptions options, string? path,
        Action<Func<TorchSharp.torch.Tensor, HeadOutputs>> calibrate)
    {
        var plan = QdqRewriter.Choose(model, options.KeepFloat);
        if (plan.Convolutions.Count == 0) throw new InvalidInputException(path, "no convolution is left to quantize (check --keep-float)");
        Dictionary<string, (float Low, float High)> ranges;
        using (var calibrator = new ActivationCalibrator(model, plan.Tensors, options.Threads, options.CalibrationMemoryBytes))
        {
            calibrate(calibrator.Forward);
            ranges = calibrator.Ranges(options.Method, options.Percentile);
        }

        ActivationType type;
        string choice;
        if (options.Activations is { } requested)
        {
            (type, choice) = (requested, "as requested");
        }
        else
        {
            var auto = AutoActivationType.For(options.Threads);
            type = auto.Chosen;
            choice = auto.Probe is { } probe
                ? $"measured on this host: uint8 {probe.BaselineSeconds * 1000:F1} ms, "
                    + $"int8 {probe.CandidateSeconds * 1000:F1} ms for the probe graph"
                : auto.Source;
        }
        var range = AutoWeightRange.For(options.WeightRange);
        QdqRewriter.Apply(model, plan, ranges, type, options.PerChannel, AutoWeightRange.Limit(range.Chosen));
        return (plan, type, choice, range);
    }

    static (OnnxModel Model, CornerNetConfig Config) LoadFloatModel(string path, QuantizationOptions options)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new InvalidInputException(path, "model file not found");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".onnx")
        {
            using (var network = OnnxRuntimeNetwork.Load(path, 1))
            {
                if (network.Quantization is not null) throw new InvalidInputException(path, "the model is already quantized; quantize the float model");
                if (!network.DynamicSize) throw new InvalidInputException(path, "calibration runs the test procedure's per-image sizes: export with 'cornernet export --dynamic-size'");
            }
            var model = OnnxModel.Read(File.ReadAllBytes(path), path);
            string config = model.Metadata.First(kv => kv.Key == OnnxMetadata.ConfigKey).Value;
            return (model, CornerNetConfig.FromJson(config, path));
        }
        if (extension != ".safetensors") throw new InvalidInputException(path, "expected a model file (.safetensors) or a float ONNX export (.onnx)");
        var (network2, classes) = ModelFile.Load(path);
        using (network2)
        {
            using var stream = new MemoryStream();
            OnnxExporter.Export(network2, classes, stream, new OnnxExportOptions { DynamicSize = true, MaxInputSide = options.MaxInputSide });
            return (OnnxModel.Read(stream.ToArray(), path), network2.Config);
        }
    }
}
