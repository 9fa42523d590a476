using System.Runtime.InteropServices;
using CornerNet.Onnx;

namespace CornerNet.Quantization;

/// <summary>
/// Rewrites a float ONNX graph into the QDQ format ONNX Runtime fuses into integer kernels: for every quantized
/// convolution, QuantizeLinear→DequantizeLinear on its input and on its output (after the ReLU it feeds, which the
/// QuantizeLinear then replaces: a zero point at the type's minimum clamps negatives to 0 exactly), int8 weights (per
/// output channel or per tensor, symmetric) and int32 bias (scale = input scale × weight scale) behind
/// DequantizeLinear. Generic over the graph: every default-domain <c>Conv</c> whose weight is a 4-D float initializer
/// is a candidate (grouped and depthwise included); other operators (ConvTranspose, Max, Pad, Slice, Resize, Add) stay
/// float and read dequantized values where their inputs are quantized.
/// </summary>
internal static class QdqRewriter
{
    /// <summary>What the rewrite quantizes: the convolutions (by node index) and the tensors whose range it
    /// needs.</summary>
    public sealed record Plan(IReadOnlyList<int> Convolutions, IReadOnlyList<string> Tensors, IReadOnlyList<string> FloatConvolutions);

    const int AttributeInt = 2;

    /// <summary>Weight initializer name of a convolution node (names the layer, e.g.
    /// <c>kps.0.up1.0.conv1.weight</c>).</summary>
    public static string LayerName(OnnxModel.Node node)
    {
        string weight = node.Inputs[1];
        return weight.EndsWith(".weight", StringComparison.Ordinal) ? weight[..^".weight".Length] : weight;
    }

    /// <summary>
    /// Chooses the convolutions to quantize: all but those <paramref name="keepFloat"/> names. A name is <c>first</c>
    /// (convolutions reading the graph input), <c>heads</c> (convolutions writing a graph output) or a layer-name
    /// prefix (e.g. <c>kps.0.low2</c>).
    /// </summary>
    public static Plan Choose(OnnxModel model, IReadOnlyCollection<string> keepFloat)
    {
        var outputs = model.Outputs.Select(o => o.Name).ToHashSet();
        var graphInputs = model.InputNames.ToHashSet();
        var convolutions = new List<int>();
        var floats = new List<string>();
        var tensors = new List<string>();
        var seen = new HashSet<string>();
        var consumers = Consumers(model);
        var layers = new List<string>();
        for (int i = 0; i < model.Nodes.Count; i++)
        {
            var node = model.Nodes[i];
            if (node.OpType != "Conv" || node.Domain is not ("" or "ai.onnx") || node.Inputs.Count < 2) continue;
            if (!model.Initializers.TryGetValue(node.Inputs[1], out var weight) || weight.DataType != OnnxModel.FloatType || weight.Dims.Length != 4) continue;
            string layer = LayerName(node);
            layers.Add(layer);
            bool keep = keepFloat.Any(k => k switch
            {
                "first" => graphInputs.Contains(node.Inputs[0]),
                "heads" => outputs.Contains(node.Outputs[0]),
                _ => layer.StartsWith(k, StringComparison.Ordinal),
            });
            if (keep)
            {
                floats.Add(layer);
                continue;
            }
            convolutions.Add(i);
            foreach (var tensor in new[] { node.Inputs[0], OutputTensor(model, node, consumers, outputs) })
                if (seen.Add(tensor)) tensors.Add(tensor);
        }
        // A name that keeps nothing is a typo, not a choice: quantizing what the user meant to keep is refused.
        var unknown = keepFloat
            .Where(k => k is not ("first" or "heads") && !layers.Any(l => l.StartsWith(k, StringComparison.Ordinal))).ToList();
        if (unknown.Count > 0)
            throw new InvalidInputException(null, $"--keep-float {string.Join(", ", unknown)}: no convolution has such a name; " +
                $"valid: first, heads, none, or a layer-name prefix ({string.Join(", ", layers.Select(l => l.Split('.')[0]).Distinct())})");
        return new Plan(convolutions, tensors, floats);
    }

    static Dictionary<string, List<OnnxModel.Node>> Consumers(OnnxModel model)
    {
        var consumers = new Dictionary<string, List<OnnxModel.Node>>();
        foreach (var node in model.Nodes)
            foreach (var input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = new();
                list.Add(node);
            }
        return consumers;
    }

    /// <summary>The tensor quantized after a convolution: the output of the ReLU that alone reads it, else its own
    /// output.</summary>
    static string OutputTensor(OnnxModel model, OnnxModel.Node conv, Dictionary<string, List<OnnxModel.Node>> consumers, HashSet<string> graphOutputs)
    {
        string y = conv.Outputs[0];
        return !graphOutputs.Contains(y) && consumers.TryGetValue(y, out var readers) && readers.Count == 1 && readers[0].OpType == "Relu"
            ? readers[0].Outputs[0]
            : y;
    }

    /// <summary>Scale and zero point of an asymmetric quantization of [low, high] (the range widened to include
    /// 0).</summary>
    public static (float Scale, int ZeroPoint) ActivationParameters(float low, float high, ActivationType type)
    {
        var (qmin, qmax) = type == ActivationType.Uint8 ? (0, 255) : (-128, 127);
        float rmin = Math.Min(0f, low), rmax = Math.Max(0f, high);
        float scale = (rmax - rmin) / (qmax - qmin);
        if (!(scale > 0) || !float.IsFinite(scale)) scale = 1f;
        int zeroPoint = (int)Math.Round(qmin - rmin / scale);
        return (scale, Math.Clamp(zeroPoint, qmin, qmax));
    }

    /// <summary>Rewrites <paramref name="model"/> in place according to <paramref name="plan"/> with the given
    /// activation ranges; weights are symmetric in [-<paramref name="weightLimit"/>, <paramref name="weightLimit"/>]
    /// (127 full, 63 reduced: see <see cref="WeightRange"/>).</summary>
    public static void Apply(OnnxModel model, Plan plan, IReadOnlyDictionary<string, (float Low, float High)> ranges,
        ActivationType type, bool perChannel, int weightLimit = 127)
    {
        var quantizedConvs = plan.Convolutions.Select(i => model.Nodes[i]).ToList();
        int elementType = type == ActivationType.Uint8 ? OnnxModel.Uint8Type : OnnxModel.Int8Type;
        var scales = new Dictionary<string, float>();

        // Activations: Q→DQ after each planned tensor's producer.
        foreach (var tensor in plan.Tensors)
        {
            if (!ranges.TryGetValue(tensor, out var range)) throw new InvalidOperationException($"no calibration range for '{tensor}'");
            var (scale, zeroPoint) = ActivationParameters(range.Low, range.High, type);
            scales[tensor] = scale;
            string scaleName = Scalar(model, tensor + "_scale", OnnxModel.FloatType, BitConverter.GetBytes(scale));
            string zeroName = Scalar(model, tensor + "_zero_point", elementType, [unchecked((byte)(sbyte)zeroPoint)]);
            scales[InsertQuantizeDequantize(model, tensor, scaleName, zeroName)] = scale;
        }

        // Weights and biases: integer initializers behind DequantizeLinear, placed first (they depend on nothing).
        var weightNodes = new List<OnnxModel.Node>();
        foreach (var conv in quantizedConvs)
        {
            float inputScale = scales[conv.Inputs[0]];
            var weight = model.Initializers[conv.Inputs[1]];
            int outChannels = (int)weight.Dims[0];
            var values = MemoryMarshal.Cast<byte, float>(weight.Data.AsSpan());
            int perOut = values.Length / outChannels;
            var weightScales = new float[perChannel ? outChannels : 1];
            for (int c = 0; c < outChannels; c++)
            {
                float top = 0;
                foreach (float v in values.Slice(c * perOut, perOut)) top = Math.Max(top, Math.Abs(v));
                int slot = perChannel ? c : 0;
                weightScales[slot] = Math.Max(weightScales[slot], top / weightLimit);
            }
            for (int s = 0; s < weightScales.Length; s++) if (!(weightScales[s] > 0)) weightScales[s] = 1f;
            var quantized = new byte[values.Length];
            for (int k = 0; k < values.Length; k++)
            {
                float scale = weightScales[perChannel ? k / perOut : 0];
                int q = Math.Clamp((int)MathF.Round(values[k] / scale), -weightLimit, weightLimit);
                quantized[k] = unchecked((byte)(sbyte)q);
            }
            string name = conv.Inputs[1];
            long[] scaleDims = perChannel ? [outChannels] : [];
            model.SetInitializer(new OnnxModel.Tensor(name + "_quantized", OnnxModel.Int8Type, weight.Dims, quantized));
            model.SetInitializer(new OnnxModel.Tensor(name + "_scale", OnnxModel.FloatType, scaleDims, FloatBytes(weightScales)));
            model.SetInitializer(new OnnxModel.Tensor(name + "_zero_point", OnnxModel.Int8Type, scaleDims, new byte[weightScales.Length]));
            weightNodes.Add(Dequantize(name + "_quantized", name + "_scale", name + "_zero_point", name + "_dequantized", perChannel));
            conv.Inputs[1] = name + "_dequantized";
            RemoveIfUnused(model, name);

            if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && model.Initializers.TryGetValue(conv.Inputs[2], out var bias) && bias.DataType == OnnxModel.FloatType)
            {
                var biasValues = MemoryMarshal.Cast<byte, float>(bias.Data.AsSpan());
                var biasScales = weightScales.Select(s => s * inputScale).ToArray();
                var biasQuantized = new int[biasValues.Length];
                for (int c = 0; c < biasValues.Length; c++)
                    biasQuantized[c] = (int)Math.Clamp(Math.Round(biasValues[c] / (double)biasScales[perChannel ? c : 0]), int.MinValue, int.MaxValue);
                string b = conv.Inputs[2];
                model.SetInitializer(new OnnxModel.Tensor(b + "_quantized", OnnxModel.Int32Type, bias.Dims, MemoryMarshal.AsBytes(biasQuantized.AsSpan()).ToArray()));
                model.SetInitializer(new OnnxModel.Tensor(b + "_scale", OnnxModel.FloatType, scaleDims, FloatBytes(biasScales)));
                model.SetInitializer(new OnnxModel.Tensor(b + "_zero_point", OnnxModel.Int32Type, scaleDims, new byte[4 * biasScales.Length]));
                weightNodes.Add(Dequantize(b + "_quantized", b + "_scale", b + "_zero_point", b + "_dequantized", perChannel));
                conv.Inputs[2] = b + "_dequantized";
                RemoveIfUnused(model, b);
            }
        }
        model.Nodes.InsertRange(0, weightNodes);
    }

    static byte[] FloatBytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    static string Scalar(OnnxModel model, string name, int dataType, byte[] data)
    {
        model.SetInitializer(new OnnxModel.Tensor(name, dataType, [], data));
        return name;
    }

    static void RemoveIfUnused(OnnxModel model, string name)
    {
        if (model.Nodes.Any(n => n.Inputs.Contains(name))) return;
        model.Initializers.Remove(name);
        model.InitializerOrder.Remove(name);
    }

    static OnnxModel.Node Dequantize(string input, string scale, string zeroPoint, string output, bool perChannel)
    {
        var node = new OnnxModel.Node { OpType = "DequantizeLinear", Name = output, Inputs = [input, scale, zeroPoint], Outputs = [output] };
        if (perChannel) node.Attributes.Add(new ProtobufMessage().String(1, "axis").Varint(20, AttributeInt).Varint(3, 0));
        return node;
    }

    /// <summary>
    /// Puts QuantizeLinear→DequantizeLinear between <paramref name="tensor"/>'s producer and its readers. A ReLU
    /// producer is replaced (the QuantizeLinear reads the ReLU's input). The graph input keeps its name; its readers
    /// move to the dequantized copy. Returns the name the readers now read.
    /// </summary>
    static string InsertQuantizeDequantize(OnnxModel model, string tensor, string scale, string zeroPoint)
    {
        int producer = model.Nodes.FindIndex(n => n.Outputs.Contains(tensor));
        string quantized = tensor + "_quantized";
        if (producer < 0)
        {
            string dequantized = tensor + "_dequantized";
            foreach (var node in model.Nodes)
                for (int k = 0; k < node.Inputs.Count; k++)
                    if (node.Inputs[k] == tensor) node.Inputs[k] = dequantized;
            model.Nodes.InsertRange(0,
            [
                new OnnxModel.Node { OpType = "QuantizeLinear", Name = quantized, Inputs = [tensor, scale, zeroPoint], Outputs = [quantized] },
                new OnnxModel.Node { OpType = "DequantizeLinear", Name = dequantized, Inputs = [quantized, scale, zeroPoint], Outputs = [dequantized] },
            ]);
            return dequantized;
        }
        var source = model.Nodes[producer];
        string floatInput;
        if (source.OpType == "Relu")
        {
            floatInput = source.Inputs[0];
            model.Nodes.RemoveAt(producer);
            producer--;
        }
        else
        {
            floatInput = tensor + "_float";
            source.Outputs[source.Outputs.IndexOf(tensor)] = floatInput;
        }
        model.Nodes.InsertRange(producer + 1,
        [
            new OnnxModel.Node { OpType = "QuantizeLinear", Name = quantized, Inputs = [floatInput, scale, zeroPoint], Outputs = [quantized] },
            new OnnxModel.Node { OpType = "DequantizeLinear", Name = tensor + "_dequantized", Inputs = [quantized, scale, zeroPoint], Outputs = [tensor] },
        ]);
        return tensor;
    }
}
