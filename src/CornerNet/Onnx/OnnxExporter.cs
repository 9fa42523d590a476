using CornerNet.Data;
using CornerNet.Inference;
using System.Text.Json;
using CornerNet.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Onnx;

/// <summary>
/// Writes a <see cref="CornerNetModel"/> as a standard ONNX model (<c>ModelProto</c>) of its eval-mode forward: input
/// <c>image</c> (N×3×H×W float32, normalized as the model expects), outputs the last stack's <c>tl_heats</c>,
/// <c>br_heats</c> (logits, before sigmoid), <c>tl_tags</c>, <c>br_tags</c>, <c>tl_regrs</c>, <c>br_regrs</c>, exactly
/// what <see cref="CornerNetModel.forward"/> returns in eval mode. BatchNorm is folded into the convolutions first.
/// The network's blocks write themselves (<see cref="IOperatorGraph"/>), so nothing here depends on the family. Only
/// default-domain operators are used: Conv (grouped for depthwise convolutions), Relu, Add, Concat, Resize (nearest,
/// asymmetric, floor: PyTorch's nearest ×2), ConvTranspose, and for corner pooling, which has no ONNX operator, a doubling scan: for shifts s = 1, 2, 4, … below the side,
/// x = Max(x, x shifted by s), the shift being a Pad with −∞ and a Slice. The model's config and class list go into
/// the metadata (<see cref="OnnxMetadata"/>), so <see cref="OnnxRuntimeNetwork"/> needs nothing else.
/// </summary>
public static class OnnxExporter
{
    /// <summary>
    /// Folds <paramref name="model"/>'s BatchNorm (it becomes inference-only, see
    /// <see cref="CornerNetModel.FoldBatchNorm"/>)
    /// and writes the ONNX model to <paramref name="path"/> atomically. Bad options throw
    /// <see cref="InvalidInputException"/>.
    /// </summary>
    public static void Export(CornerNetModel model, IReadOnlyList<ClassInfo> classes, string path, OnnxExportOptions? options = null)
    {
        var message = Build(model, classes, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, message.WriteTo);
    }

    /// <summary>As <see cref="Export(CornerNetModel, IReadOnlyList{ClassInfo}, string, OnnxExportOptions?)"/>, into
    /// <paramref name="stream"/>.</summary>
    public static void Export(CornerNetModel model, IReadOnlyList<ClassInfo> classes, Stream stream, OnnxExportOptions? options = null)
    {
        Build(model, classes, options ?? new OnnxExportOptions()).WriteTo(stream);
    }

    static ProtobufMessage Build(CornerNetModel model, IReadOnlyList<ClassInfo> classes, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classes);
        var config = model.Config;
        if (classes.Count != config.Classes) throw new ArgumentException($"{classes.Count} classes for a model with {config.Classes}");
        options.Validate(config);
        model.FoldBatchNorm();

        var graph = new OnnxGraphBuilder();
        var writer = new NetworkWriter(graph, model, config, options);

        object batch, height, width, mapHeight, mapWidth;
        if (options.DynamicSize)
        {
            (batch, height, width, mapHeight, mapWidth) = ("N", "H", "W", "H_map", "W_map");
        }
        else
        {
            var size = options.FixedInputSize(config);
            (batch, height, width) = (1L, (long)size[0], (long)size[1]);
            (mapHeight, mapWidth) = ((long)config.OutputSizeFor(size[0]), (long)config.OutputSizeFor(size[1]));
        }
        graph.Input(OnnxMetadata.InputName, batch, 3L, height, width);
        model.Write(writer, OnnxMetadata.InputName);
        foreach (var (name, channels) in new[]
        {
            ("tl_heats", config.Classes), ("br_heats", config.Classes), ("tl_tags", 1), ("br_tags", 1), ("tl_regrs", 2), ("br_regrs", 2),
        })
            graph.Output(name, batch, (long)channels, mapHeight, mapWidth);

        var metadata = new Dictionary<string, string>
        {
            [OnnxMetadata.ConfigKey] = config.ToJson(),
            [OnnxMetadata.ClassesKey] = JsonSerializer.Serialize(classes),
            [OnnxMetadata.FormatVersionKey] = OnnxMetadata.FormatVersion,
            [OnnxMetadata.MaxInputSideKey] = (options.DynamicSize ? options.MaxInputSide : options.FixedInputSize(config).Max()).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
        return graph.BuildModel("cornernet", OnnxExportOptions.IrVersionFor(options.Opset), options.Opset, version, metadata);
    }

    /// <summary>
    /// The standard operators that the network's blocks write themselves into (<see cref="CornerNetModel.Write"/>), as
    /// ONNX nodes; initializers are named after the modules that hold them, so they carry the state-dict names.
    /// </summary>
    sealed class NetworkWriter(OnnxGraphBuilder graph, CornerNetModel model, CornerNetConfig config, OnnxExportOptions options)
        : IOperatorGraph
    {
        readonly Dictionary<object, string> names = model.named_modules()
            .ToDictionary(m => (object)m.module, m => m.name, ReferenceEqualityComparer.Instance);

        string NameOf(nn.Module module) =>
            names.TryGetValue(module, out var name) ? name : throw new InvalidOperationException("a layer outside the network");

        /// <inheritdoc/>
        public string Conv(Conv2d conv, string x, string? output = null)
        {
            string module = NameOf(conv);
            string weight = graph.FloatInitializer(module + ".weight", conv.weight!);
            string bias = graph.FloatInitializer(module + ".bias", conv.bias ?? throw new InvalidOperationException($"'{module}' has no bias after folding"));
            var kernel = conv.kernel_size;
            var padding = conv.padding ?? throw new InvalidOperationException($"'{module}' has no explicit padding");
            var attributes = new List<ProtobufMessage>
            {
                OnnxGraphBuilder.IntsAttribute("kernel_shape", kernel),
                OnnxGraphBuilder.IntsAttribute("strides", conv.stride),
                OnnxGraphBuilder.IntsAttribute("pads", padding[0], padding[1], padding[0], padding[1]),
            };
            if (conv.groups != 1) attributes.Add(OnnxGraphBuilder.IntAttribute("group", conv.groups));
            return graph.Node("Conv", [x, weight, bias], output, [.. attributes]);
        }

        /// <inheritdoc/>
        public string ConvTranspose(ConvTranspose2d conv, string x)
        {
            string module = NameOf(conv);
            return graph.Node("ConvTranspose",
                [x, graph.FloatInitializer(module + ".weight", conv.weight!), graph.FloatInitializer(module + ".bias", conv.bias!)], null,
                OnnxGraphBuilder.IntsAttribute("kernel_shape", conv.kernel_size),
                OnnxGraphBuilder.IntsAttribute("strides", conv.stride),
                OnnxGraphBuilder.IntsAttribute("pads", conv.padding![0], conv.padding[1], conv.padding[0], conv.padding[1]));
        }

        /// <inheritdoc/>
        public string Relu(string x) => graph.Node("Relu", [x]);

        /// <inheritdoc/>
        public string Add(string a, string b) => graph.Node("Add", [a, b]);

        /// <inheritdoc/>
        public string ConcatChannels(string a, string b) =>
            graph.Node("Concat", [a, b], null, OnnxGraphBuilder.IntAttribute("axis", 1));

        /// <inheritdoc/>
        public string NearestUpsample2x(string x)
        {
            string scales = graph.FloatConstant("resize_scales_2x", [4], 1f, 1f, 2f, 2f);
            return graph.Node("Resize", [x, "", scales], null,
                OnnxGraphBuilder.StringAttribute("mode", "nearest"),
                OnnxGraphBuilder.StringAttribute("coordinate_transformation_mode", "asymmetric"),
                OnnxGraphBuilder.StringAttribute("nearest_mode", "floor"));
        }

        /// <summary>
        /// Running maximum along <paramref name="axis"/>: toward the end (top/left pooling: max of x[i..]) or toward
        /// the start (bottom/right pooling: max of x[..i]). After the steps s = 1, 2, …, 2^(k−1), each position holds
        /// the maximum over 2^k positions, so k = ⌈log2 L⌉ steps cover a side of L. A shift by s is a Pad of s −∞
        /// values on one side and a Slice back to the original length, which also holds when s ≥ L (all −∞).
        /// </summary>
        public string RunningMax(string x, int axis, bool towardEnd)
        {
            int side = options.DynamicSize
                ? config.OutputSizeFor(options.MaxInputSide)
                : config.OutputSizeFor(options.FixedInputSize(config)[axis - 2]);
            string negativeInfinity = graph.FloatConstant("negative_infinity", [], float.NegativeInfinity);
            string axes = graph.Int64Constant($"axes_{axis}", axis);
            for (long s = 1; s < side; s *= 2)
            {
                var pads = new long[8];
                pads[towardEnd ? 4 + axis : axis] = s;
                string padded = graph.Node("Pad", [x, graph.Int64Constant($"pads_{axis}_{(towardEnd ? "end" : "begin")}_{s}", pads), negativeInfinity], null,
                    OnnxGraphBuilder.StringAttribute("mode", "constant"));
                string shifted = towardEnd
                    ? graph.Node("Slice", [padded, graph.Int64Constant($"slice_start_{s}", s), graph.Int64Constant("slice_end_max", long.MaxValue), axes])
                    : graph.Node("Slice", [padded, graph.Int64Constant("slice_start_0", 0), graph.Int64Constant($"slice_end_{s}", -s), axes]);
                x = graph.Node("Max", [x, shifted]);
            }
            return x;
        }
    }
}
