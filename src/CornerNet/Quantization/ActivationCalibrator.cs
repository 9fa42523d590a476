using System.Runtime.InteropServices;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace CornerNet.Quantization;

/// <summary>
/// Runs the float graph with ONNX Runtime and observes the tensors a quantization needs: they become extra graph
/// outputs, fetched a few at a time so that no more than a memory budget of them is alive at once (ONNX Runtime keeps
/// every requested output until the run ends). <see cref="Forward"/> has the signature of a network, so the test
/// procedure (<see cref="DetectionPipeline"/>) drives calibration with exactly the inputs it will give the quantized
/// model.
/// </summary>
internal sealed class ActivationCalibrator : IDisposable
{
    /// <summary>Floats per input pixel assumed for a tensor not yet seen (Hourglass-104 peaks at 32: 128 channels at
    /// half the input side).</summary>
    const long AssumedFloatsPerPixel = 64;

    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly IReadOnlyList<string> _tensors;
    readonly Dictionary<string, double> _floatsPerPixel = new();
    readonly long _budgetBytes;

    /// <summary>What was observed, per tensor name.</summary>
    public Dictionary<string, ActivationStatistics> Statistics { get; } = new();

    /// <summary>Calibrates <paramref name="tensors"/> of <paramref name="model"/> (not changed).</summary>
    public ActivationCalibrator(OnnxModel model, IReadOnlyList<string> tensors, int threads, long budgetBytes)
    {
        _tensors = tensors;
        _budgetBytes = budgetBytes;
        foreach (var tensor in tensors) Statistics[tensor] = new ActivationStatistics();
        var existing = model.Outputs.Select(o => o.Name).ToHashSet();
        int before = model.Outputs.Count;
        foreach (var tensor in tensors)
            if (!existing.Contains(tensor)) model.AddFloatOutput(tensor);
        byte[] bytes;
        try
        {
            bytes = model.ToBytes();
        }
        finally
        {
            model.Outputs.RemoveRange(before, model.Outputs.Count - before);
        }
        _session = new InferenceSession(bytes, OnnxRuntimeNetwork.CreateSessionOptions(threads));
    }

    /// <summary>Runs the float graph on a normalized batch, observes the tensors and returns the six heads.</summary>
    public HeadOutputs Forward(Tensor batch)
    {
        using var input = batch.detach().to_type(ScalarType.Float32).cpu().contiguous();
        var data = input.data<float>().ToArray();
        long pixels = input.shape[0] * input.shape[2] * input.shape[3];
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        Tensor[]? heads = null;
        int next = 0;
        while (heads is null || next < _tensors.Count)
        {
            var names = new List<string>();
            if (heads is null) names.AddRange(OnnxMetadata.OutputNames);
            double bytes = 0;
            while (next < _tensors.Count)
            {
                string tensor = _tensors[next];
                double estimate = 4 * pixels * (_floatsPerPixel.TryGetValue(tensor, out var known) ? known : AssumedFloatsPerPixel);
                if (names.Count > (heads is null ? OnnxMetadata.OutputNames.Count : 0) && bytes + estimate > _budgetBytes) break;
                bytes += estimate;
                if (!names.Contains(tensor)) names.Add(tensor);
                next++;
            }
            using var outputs = _session.Run(_runOptions, [OnnxMetadata.InputName], [value], names);
            for (int i = 0; i < names.Count; i++)
            {
                var span = outputs[i].GetTensorDataAsSpan<float>();
                if (Statistics.TryGetValue(names[i], out var statistics))
                {
                    statistics.Observe(span);
                    _floatsPerPixel[names[i]] = (double)span.Length / pixels;
                }
            }
            if (heads is null)
            {
                heads = new Tensor[OnnxMetadata.OutputNames.Count];
                for (int i = 0; i < heads.Length; i++)
                {
                    heads[i] = empty(outputs[i].GetTensorTypeAndShape().Shape, ScalarType.Float32);
                    MemoryMarshal.AsBytes(outputs[i].GetTensorDataAsSpan<float>()).CopyTo(heads[i].bytes);
                }
            }
        }
        return new HeadOutputs(heads[0], heads[1], heads[2], heads[3], heads[4], heads[5]);
    }

    /// <summary>The range of every observed tensor with <paramref name="method"/>.</summary>
    public Dictionary<string, (float Low, float High)> Ranges(CalibrationMethod method, double percentile)
    {
        var ranges = new Dictionary<string, (float, float)>();
        foreach (var (name, statistics) in Statistics)
        {
            if (statistics.Count == 0) throw new InvalidOperationException($"calibration never saw '{name}'");
            ranges[name] = statistics.Range(method, percentile);
        }
        return ranges;
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
