using System.CommandLine;
using CornerNet.Inference;
using CornerNet.Runtime;

namespace CornerNet.Cli.Commands;

/// <summary>The detection options shared by <c>detect</c> and <c>test</c>: flip, scales, NMS, threads, engine,
/// precision, memory layout, batch size.</summary>
public sealed class DetectionCommandOptions
{
    readonly Option<bool> _flip = new("--flip") { Description = "Also run the mirrored image and merge (the paper's test procedure)." };
    readonly Option<double[]> _scales = new Option<double[]>("--scales") { Description = "Test scales, e.g. 0.5 0.75 1 1.25 1.5 for the paper's multi-scale result.", AllowMultipleArgumentsPerToken = true }.EachInRange(0.05, 4);
    readonly Option<string> _nms = new("--nms") { Description = "soft-gaussian (paper), soft-linear, hard, or none.", DefaultValueFactory = _ => "soft-gaussian" };
    readonly Option<int> _threads = new Option<int>("--threads") { Description = "libtorch (or ONNX Runtime) threads (0: one per core).", DefaultValueFactory = _ => 0 }.InRange(0, OptionRanges.MaxThreads);
    readonly Option<int> _maxSize = new("--max-size")
    {
        Description = $"Downscale images whose longest side is above this before the network (boxes are mapped back; 0: never). The default keeps Hourglass-104 with --flip within about 9 GB.",
        DefaultValueFactory = _ => DetectionOptions.DefaultMaxSize,
    };
    readonly Option<int> _batchSize = new Option<int>("--batch-size")
    {
        Description = "Images per network run; images of the same network size share a batch (results equal batch 1).",
        DefaultValueFactory = _ => 1,
    }.InRange(1, 256);
    readonly ImagePreflight _images = new();
    readonly Option<string> _engine = new("--engine")
    {
        Description = "torch (MODEL is a .safetensors model file) or onnx (MODEL is an .onnx file from 'cornernet export --dynamic-size', run with ONNX Runtime).",
        DefaultValueFactory = _ => "torch",
    };

    readonly Option<string> _precision = NewPrecisionOption();
    readonly Option<string> _layout = NewLayoutOption();

    /// <summary>A new <c>--layout</c> option (detect, test, serve and bench share it).</summary>
    public static Option<string> NewLayoutOption() => new("--layout")
    {
        Description = "Network memory layout: auto (channels-last where this CPU measurably runs it faster, see 'cornernet --version'), nchw, or channels-last (torch engine only). Detections are the same.",
        DefaultValueFactory = _ => "auto",
    };

    /// <summary>The layout named by a <c>--layout</c> value.</summary>
    public static MemoryLayout ParseLayout(string? value) => value switch
    {
        "auto" => MemoryLayout.Auto,
        "nchw" => MemoryLayout.Nchw,
        "channels-last" => MemoryLayout.ChannelsLast,
        var other => throw new InvalidInputException(null, $"unknown --layout '{other}' (auto, nchw, channels-last)"),
    };

    /// <summary>A new <c>--precision</c> option (detect, test, serve and bench share it).</summary>
    public static Option<string> NewPrecisionOption() => new("--precision")
    {
        Description = "Network number format: fp32, bf16 (convolutions in bfloat16, heads and decoding in float32; torch engine only), or auto (bf16 where this CPU runs it natively and measurably faster, see 'cornernet --version').",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>The precision named by a <c>--precision</c> value.</summary>
    public static Precision ParsePrecision(string? value) => value switch
    {
        "fp32" => Precision.Fp32,
        "bf16" => Precision.Bf16,
        "auto" => Precision.Auto,
        var other => throw new InvalidInputException(null, $"unknown --precision '{other}' (fp32, bf16, auto)"),
    };

    /// <summary>The <c>--threads</c> option (0: one per core).</summary>
    public Option<int> Threads => _threads;

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_flip);
        command.Options.Add(_scales);
        command.Options.Add(_nms);
        command.Options.Add(_threads);
        command.Options.Add(_engine);
        command.Options.Add(_precision);
        command.Options.Add(_layout);
        command.Options.Add(_maxSize);
        command.Options.Add(_batchSize);
        _images.AddTo(command);
    }

    /// <summary>The one-line notice for an image that <paramref name="options"/> downscale before the network, or
    /// null.</summary>
    public static string? DownscaleNotice(string name, int width, int height, DetectionOptions options)
    {
        double factor = options.DownscaleFactor(width, height);
        return factor < 1
            ? $"note: {name}: {width}×{height} downscaled to {(int)(width * factor)}×{(int)(height * factor)} for the network (--max-size {options.MaxSize}); boxes are in the original pixels"
            : null;
    }

    /// <summary>The <c>--batch-size</c> the user asked for.</summary>
    public int BatchSize(ParseResult parse) => parse.GetValue(_batchSize);

    /// <summary>The engine the user asked for.</summary>
    public InferenceEngine Engine(ParseResult parse) => parse.GetValue(_engine) switch
    {
        "torch" => InferenceEngine.Torch,
        "onnx" => InferenceEngine.OnnxRuntime,
        var other => throw new InvalidInputException(null, $"unknown --engine '{other}' (torch, onnx)"),
    };

    /// <summary>Applies the thread setting and builds the <see cref="DetectionOptions"/> the user asked for.</summary>
    public DetectionOptions Read(ParseResult parse)
    {
        TorchRuntime.SetThreads(parse.GetValue(_threads));
        _images.ApplyLimits(parse);
        int maxSize = parse.GetValue(_maxSize);
        if (maxSize is not 0 and (< 8 or > 65536)) throw new InvalidInputException(null, $"--max-size must be 0 (no limit) or between 8 and 65536, got {maxSize}");
        var method = parse.GetValue(_nms) switch
        {
            "soft-gaussian" => NmsMethod.SoftGaussian,
            "soft-linear" => NmsMethod.SoftLinear,
            "hard" => NmsMethod.Hard,
            "none" => NmsMethod.None,
            var other => throw new InvalidInputException(null, $"unknown --nms '{other}' (soft-gaussian, soft-linear, hard, none)"),
        };
        var scales = parse.GetValue(_scales);
        if (scales is { Length: > 0 } && scales.Any(s => !(s > 0)))
            throw new InvalidInputException(null, "--scales must be positive");
        var options = new DetectionOptions
        {
            Flip = parse.GetValue(_flip),
            Scales = scales is { Length: > 0 } ? scales : new[] { 1.0 },
            Nms = new SoftNmsOptions { Method = method },
            MaxSize = maxSize == 0 ? null : maxSize,
            Precision = ParsePrecision(parse.GetValue(_precision)),
            Layout = ParseLayout(parse.GetValue(_layout)),
        };
        if (options.Scales.Count > 1) options = options with { Nms = options.Nms with { MergeBoxes = true } };
        return options;
    }
}
