using System.CommandLine;
using CornerNet.Inference;

namespace CornerNet.Cli.Commands;

/// <summary>The test-time options shared by <c>detect</c> and <c>test</c>: flip, scales, NMS, threads, engine.</summary>
public sealed class TestTimeOptions
{
    readonly Option<bool> _flip = new("--flip") { Description = "Also run the mirrored image and merge (the paper's test procedure)." };
    readonly Option<double[]> _scales = new("--scales") { Description = "Test scales, e.g. 0.5 0.75 1 1.25 1.5 for the paper's multi-scale result.", AllowMultipleArgumentsPerToken = true };
    readonly Option<string> _nms = new("--nms") { Description = "soft-gaussian (paper), soft-linear, hard, or none.", DefaultValueFactory = _ => "soft-gaussian" };
    readonly Option<int> _threads = new("--threads") { Description = "libtorch (or ONNX Runtime) threads (0: one per core).", DefaultValueFactory = _ => 0 };
    readonly Option<string> _engine = new("--engine")
    {
        Description = "torch (MODEL is a .safetensors model file) or onnx (MODEL is an .onnx file from 'cornernet export --dynamic-size', run with ONNX Runtime).",
        DefaultValueFactory = _ => "torch",
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
    }

    /// <summary>The engine the user asked for.</summary>
    public InferenceEngine Engine(ParseResult parse) => parse.GetValue(_engine) switch
    {
        "torch" => InferenceEngine.Torch,
        "onnx" => InferenceEngine.OnnxRuntime,
        var other => throw new InvalidInputException(null, $"unknown --engine '{other}' (torch, onnx)"),
    };

    /// <summary>Applies the thread setting and builds the <see cref="TestOptions"/> the user asked for.</summary>
    public TestOptions Read(ParseResult parse)
    {
        TorchRuntime.SetThreads(parse.GetValue(_threads));
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
        var options = new TestOptions
        {
            Flip = parse.GetValue(_flip),
            Scales = scales is { Length: > 0 } ? scales : new[] { 1.0 },
            Nms = new SoftNmsOptions { Method = method },
        };
        if (options.Scales.Count > 1) options = options with { Nms = options.Nms with { MergeBoxes = true } };
        return options;
    }
}
