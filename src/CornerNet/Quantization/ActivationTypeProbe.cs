using CornerNet.Inference;
using CornerNet.Onnx;
using CornerNet.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace CornerNet.Quantization;

/// <summary>
/// Which activation type runs the int8 convolutions faster on this CPU with this ONNX Runtime: a small QDQ graph (three
/// residual blocks of 3×3 convolutions, 64→64 channels at 96²) quantized both ways (uint8 the baseline, int8 the
/// candidate) and timed interleaved (process CPU time). ONNX Runtime's integer kernels differ per instruction set
/// (AVX2, AVX-VNNI, AVX-512 VNNI), so this is measured, never assumed (<see cref="AutoActivationType"/>).
/// </summary>
internal static class ActivationTypeProbe
{
    /// <summary>Bumped whenever the measurement changes, so that cached results of an older probe are not
    /// used.</summary>
    internal const int Version = 1;

    /// <summary>Runs the probe with <paramref name="threads"/> ONNX Runtime threads (0: its default).</summary>
    internal static SpeedComparison Run(int threads)
    {
        const int channels = 64, side = 96, layers = 3;
        var graph = new OnnxGraphBuilder();
        var random = new Random(1);
        graph.Input(OnnxMetadata.InputName, 1L, (long)channels, (long)side, (long)side);
        string x = OnnxMetadata.InputName;
        string Conv(int l, string input)
        {
            var weights = new float[channels * channels * 9];
            for (int k = 0; k < weights.Length; k++) weights[k] = (float)(random.NextDouble() - 0.5) * 0.1f;
            string w = graph.FloatConstant($"conv{l}.weight", [channels, channels, 3, 3], weights);
            string b = graph.FloatConstant($"conv{l}.bias", [channels], new float[channels]);
            return graph.Node("Conv", [input, w, b], null,
                OnnxGraphBuilder.IntsAttribute("kernel_shape", 3, 3), OnnxGraphBuilder.IntsAttribute("pads", 1, 1, 1, 1));
        }
        // Residual blocks, as in the hourglass: ONNX Runtime fuses a convolution whose output feeds an addition
        // differently per activation type, so the probe must contain that pattern.
        for (int l = 0; l < layers; l++)
            x = graph.Node("Relu", [graph.Node("Add", [Conv(2 * l + 1, graph.Node("Relu", [Conv(2 * l, x)])), x])]);
        graph.Output(graph.Node("Identity", [x], "out"), 1L, (long)channels, (long)side, (long)side);
        byte[] floatModel;
        using (var stream = new MemoryStream())
        {
            graph.BuildModel("probe", OnnxExportOptions.IrVersionFor(OnnxExportOptions.DefaultOpset), OnnxExportOptions.DefaultOpset, "0", []).WriteTo(stream);
            floatModel = stream.ToArray();
        }
        var sessions = new List<InferenceSession>();
        using var sessionOptions = OnnxRuntimeNetwork.CreateSessionOptions(threads);
        try
        {
            foreach (var type in new[] { ActivationType.Uint8, ActivationType.Int8 })
            {
                var model = OnnxModel.Read(floatModel, null);
                var plan = QdqRewriter.Choose(model, []);
                var ranges = plan.Tensors.ToDictionary(t => t, t => t == OnnxMetadata.InputName ? (-2f, 2f) : (0f, 2f));
                QdqRewriter.Apply(model, plan, ranges, type, perChannel: true);
                sessions.Add(new InferenceSession(model.ToBytes(), sessionOptions));
            }
            var input = new float[channels * side * side];
            for (int k = 0; k < input.Length; k++) input[k] = (float)(random.NextDouble() * 2 - 1);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, channels, side, side]);
            using var runOptions = new RunOptions();
            Action Pass(InferenceSession session) => () =>
            {
                using var outputs = session.Run(runOptions, [OnnxMetadata.InputName], [value], ["out"]);
            };
            // Process CPU time, not wall time: on a shared machine it is what the kernels cost, apart from waiting.
            return SpeedComparison.MedianCpuTime(Pass(sessions[0]), Pass(sessions[1]), warmup: 3, runs: 15);
        }
        finally
        {
            foreach (var session in sessions) session.Dispose();
        }
    }
}
