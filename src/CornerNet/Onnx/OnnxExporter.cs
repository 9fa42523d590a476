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
/// Only default-domain operators are used: Conv, Relu, Add, Resize (nearest, asymmetric, floor: PyTorch's nearest ×2),
/// and for CornerNet-Squeeze grouped (depthwise) Conv, Concat and ConvTranspose (4×4, stride 2, pads 1),
/// and for corner pooling, which has no ONNX operator, a doubling scan: for shifts s = 1, 2, 4, … below the side,
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
        var convolutions = model.named_modules()
            .Where(m => m.module is Conv2d)
            .ToDictionary(m => m.name, m => (Conv2d)m.module);
        var transposed = model.named_modules()
            .Where(m => m.module is ConvTranspose2d)
            .ToDictionary(m => m.name, m => (ConvTranspose2d)m.module);
        var writer = new NetworkWriter(graph, convolutions, transposed, config, options);

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
        writer.Network(OnnxMetadata.InputName);
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

    /// <summary>Emits the network's nodes, module by module, in the order of <see cref="CornerNetModel.forward"/> (eval
    /// mode).</summary>
    sealed class NetworkWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, Conv2d> convolutions,
        IReadOnlyDictionary<string, ConvTranspose2d> transposed, CornerNetConfig config, OnnxExportOptions options)
    {
        public void Network(string image)
        {
            // Module names of the family (see Model/README.md): the squeeze backbone sits under "hg." with Lite names.
            bool squeeze = config.IsSqueeze;
            string trunk = squeeze ? "hg." : "", hourglasses = squeeze ? "hg.hgs" : "kps";
            string tlPool = squeeze ? "tl_modules" : "tl_cnvs", brPool = squeeze ? "br_modules" : "br_cnvs";
            string tlOffs = squeeze ? "tl_offs" : "tl_regrs", brOffs = squeeze ? "br_offs" : "br_regrs";
            string inter = Residual(trunk + "pre.1", Convolution(trunk + "pre.0", image));
            if (squeeze) inter = Residual(trunk + "pre.2", inter);
            for (int s = 0; s < config.Stacks; s++)
            {
                string kp = squeeze
                    ? SqueezeHourglass($"{hourglasses}.{s}", config.Levels, config.Modules, inter)
                    : Hourglass($"{hourglasses}.{s}", config.Levels, config.Modules, inter);
                string cnv = Convolution($"{trunk}cnvs.{s}", kp);
                if (s == config.Stacks - 1)
                {
                    string tl = CornerPool($"{tlPool}.{s}", cnv, topLeft: true);
                    string br = CornerPool($"{brPool}.{s}", cnv, topLeft: false);
                    Head($"tl_heats.{s}", tl, "tl_heats");
                    Head($"br_heats.{s}", br, "br_heats");
                    Head($"tl_tags.{s}", tl, "tl_tags");
                    Head($"br_tags.{s}", br, "br_tags");
                    Head($"{tlOffs}.{s}", tl, "tl_regrs");
                    Head($"{brOffs}.{s}", br, "br_regrs");
                }
                else
                {
                    string sum = graph.Node("Add", [Conv($"{trunk}inters_.{s}.0", inter), Conv($"{trunk}cnvs_.{s}.0", cnv)]);
                    inter = Residual($"{trunk}inters.{s}", graph.Node("Relu", [sum]));
                }
            }
        }

        /// <summary>A <see cref="FireModule"/> (BatchNorm folded): squeeze, the two expands concatenated, the skip when
        /// it has one, ReLU.</summary>
        string Fire(string module, string x)
        {
            string squeezed = Conv(module + ".conv1", x);
            string expanded = graph.Node("Concat", [Conv(module + ".conv_1x1", squeezed), Conv(module + ".conv_3x3", squeezed)], null,
                OnnxGraphBuilder.IntAttribute("axis", 1));
            var expand1 = convolutions[module + ".conv_1x1"];
            bool skip = expand1.stride![0] == 1 && convolutions[module + ".conv1"].in_channels == 2 * expand1.out_channels;
            return graph.Node("Relu", [skip ? graph.Node("Add", [expanded, x]) : expanded]);
        }

        string Fires(string module, int count, string x)
        {
            for (int i = 0; i < count; i++) x = Fire($"{module}.{i}", x);
            return x;
        }

        /// <summary>A <see cref="SqueezeHourglassModule"/> with <paramref name="levels"/> levels: fire modules,
        /// ConvTranspose up.</summary>
        string SqueezeHourglass(string module, int levels, IReadOnlyList<int> modules, string x)
        {
            string up = Fires(module + ".up1", modules[0], x);
            string low1 = Fires(module + ".low1", modules[0], x);
            string low2 = levels > 1
                ? SqueezeHourglass(module + ".low2", levels - 1, modules.Skip(1).ToArray(), low1)
                : Fires(module + ".low2", modules[1], low1);
            string low3 = Fires(module + ".low3", modules[0], low2);
            if (!transposed.TryGetValue(module + ".up2", out var up2))
                throw new InvalidOperationException($"the network has no transposed convolution '{module}.up2'");
            string upsampled = graph.Node("ConvTranspose",
                [low3, graph.FloatInitializer(module + ".up2.weight", up2.weight!), graph.FloatInitializer(module + ".up2.bias", up2.bias!)], null,
                OnnxGraphBuilder.IntsAttribute("kernel_shape", up2.kernel_size),
                OnnxGraphBuilder.IntsAttribute("strides", up2.stride),
                OnnxGraphBuilder.IntsAttribute("pads", up2.padding![0], up2.padding[1], up2.padding[0], up2.padding[1]));
            return graph.Node("Add", [up, upsampled]);
        }

        /// <summary>One folded convolution: weight and bias from the module named <paramref name="module"/>.</summary>
        string Conv(string module, string x, string? output = null)
        {
            if (!convolutions.TryGetValue(module, out var conv))
                throw new InvalidOperationException($"the network has no convolution '{module}'");
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

        /// <summary>A <see cref="ConvolutionModule"/>: convolution (BatchNorm folded) and ReLU.</summary>
        string Convolution(string module, string x) => graph.Node("Relu", [Conv(module + ".conv", x)]);

        /// <summary>A <see cref="ResidualModule"/>.</summary>
        string Residual(string module, string x)
        {
            string c1 = graph.Node("Relu", [Conv(module + ".conv1", x)]);
            string c2 = Conv(module + ".conv2", c1);
            string skip = convolutions.ContainsKey(module + ".skip.0") ? Conv(module + ".skip.0", x) : x;
            return graph.Node("Relu", [graph.Node("Add", [c2, skip])]);
        }

        string Residuals(string module, int count, string x)
        {
            for (int i = 0; i < count; i++) x = Residual($"{module}.{i}", x);
            return x;
        }

        /// <summary>A <see cref="HourglassModule"/> with <paramref name="levels"/> levels.</summary>
        string Hourglass(string module, int levels, IReadOnlyList<int> modules, string x)
        {
            string up = Residuals(module + ".up1", modules[0], x);
            string low1 = Residuals(module + ".low1", modules[0], x);
            string low2 = levels > 1
                ? Hourglass(module + ".low2", levels - 1, modules.Skip(1).ToArray(), low1)
                : Residuals(module + ".low2", modules[1], low1);
            string low3 = Residuals(module + ".low3", modules[0], low2);
            string scales = graph.FloatConstant("resize_scales_2x", [4], 1f, 1f, 2f, 2f);
            string upsampled = graph.Node("Resize", [low3, "", scales], null,
                OnnxGraphBuilder.StringAttribute("mode", "nearest"),
                OnnxGraphBuilder.StringAttribute("coordinate_transformation_mode", "asymmetric"),
                OnnxGraphBuilder.StringAttribute("nearest_mode", "floor"));
            return graph.Node("Add", [up, upsampled]);
        }

        /// <summary>A <see cref="CornerPoolModule"/>: top + left pooling for top-left corners, bottom + right
        /// otherwise.</summary>
        string CornerPool(string module, string x, bool topLeft)
        {
            string a = Convolution(module + ".p1_conv1", x);
            string b = Convolution(module + ".p2_conv1", x);
            string pooled = !config.CornerPooling
                ? graph.Node("Add", [a, b])
                : graph.Node("Add", [RunningMax(a, axis: 2, towardEnd: topLeft), RunningMax(b, axis: 3, towardEnd: topLeft)]);
            string projected = Conv(module + ".conv1", x);
            string sum = graph.Node("Add", [Conv(module + ".p_conv1", pooled), projected]);
            return Convolution(module + ".conv2", graph.Node("Relu", [sum]));
        }

        /// <summary>
        /// Running maximum along <paramref name="axis"/>: toward the end (top/left pooling: max of x[i..]) or toward
        /// the start (bottom/right pooling: max of x[..i]). After the steps s = 1, 2, …, 2^(k−1), each position holds
        /// the maximum over 2^k positions, so k = ⌈log2 L⌉ steps cover a side of L. A shift by s is a Pad of s −∞
        /// values on one side and a Slice back to the original length, which also holds when s ≥ L (all −∞).
        /// </summary>
        string RunningMax(string x, int axis, bool towardEnd)
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

        /// <summary>A head (<c>make_kp_layer</c> / Lite <c>_pred_mod</c>): 3×3 (1×1 for Squeeze) conv with bias and
        /// ReLU, then a 1×1 conv whose output is <paramref name="output"/>.</summary>
        void Head(string module, string x, string output) => Conv(module + ".1", Convolution(module + ".0", x), output);
    }
}
