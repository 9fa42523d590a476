using System.CommandLine;
using CornerNet.Inference;
using CornerNet.Serving;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet serve MODEL [--port 8080] [--host 127.0.0.1] [--max-batch 8] [--max-wait-ms 10] [--max-queue 64]
/// [--max-bytes 20971520] [--threads N] [--threshold 0.3]</c>: the HTTP detection server until Ctrl-C or SIGTERM,
/// which drain the requests in flight.
/// </summary>
public static class ServeCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var model = new Argument<FileInfo>("model") { Description = "Model file (.safetensors), or an exported .onnx file." };
        var port = new Option<int>("--port") { Description = "TCP port.", DefaultValueFactory = _ => defaults.Port }.InRange(0, 65535);
        var host = new Option<string>("--host") { Description = "Address to bind; 0.0.0.0 serves other machines too.", DefaultValueFactory = _ => defaults.Host };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most concurrent requests run through the network together.", DefaultValueFactory = _ => defaults.MaxBatch }.InRange(1, 256);
        var maxWait = new Option<int>("--max-wait-ms") { Description = "How long a request waits for others to batch with, in ms.", DefaultValueFactory = _ => defaults.MaxWaitMs }.InRange(0, 60_000);
        var maxQueue = new Option<int>("--max-queue") { Description = "Most requests waiting; more get 503 with Retry-After.", DefaultValueFactory = _ => defaults.MaxQueue }.InRange(1, 1_000_000);
        var maxBytes = new Option<long>("--max-bytes") { Description = "Largest request body in bytes; larger ones get 413.", DefaultValueFactory = _ => defaults.MaxBytes };
        var threads = new Option<int>("--threads") { Description = "libtorch (or ONNX Runtime) threads (0: one per core).", DefaultValueFactory = _ => 0 }.InRange(0, OptionRanges.MaxThreads);
        var threshold = new Option<float>("--threshold") { Description = "Default minimum score of a returned object (a request's threshold overrides it).", DefaultValueFactory = _ => defaults.Threshold }.InRange(0, 1);
        var precision = DetectionCommandOptions.NewPrecisionOption();
        var layout = DetectionCommandOptions.NewLayoutOption();
        var command = new Command("serve", "Serve detection over HTTP: POST /v1/detect, a web page at /, /healthz, /metrics, /openapi/v1.json.")
            { model, port, host, maxBatch, maxWait, maxQueue, maxBytes, threads, threshold, precision, layout };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var options = new ServerOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxBatch = parse.GetValue(maxBatch),
                MaxWaitMs = parse.GetValue(maxWait),
                MaxQueue = parse.GetValue(maxQueue),
                MaxBytes = parse.GetValue(maxBytes),
                Threshold = parse.GetValue(threshold),
                ModelName = Path.GetFileNameWithoutExtension(parse.GetValue(model)!.Name),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                string option = e.ParamName switch
                {
                    nameof(ServerOptions.Port) => "--port must be between 0 and 65535",
                    nameof(ServerOptions.MaxBatch) => "--max-batch must be at least 1",
                    nameof(ServerOptions.MaxWaitMs) => "--max-wait-ms must be at least 0",
                    nameof(ServerOptions.MaxQueue) => "--max-queue must be at least 1",
                    nameof(ServerOptions.MaxBytes) => "--max-bytes must be at least 1",
                    _ => "--threshold must be between 0 and 1",
                };
                throw new InvalidInputException(null, option);
            }
            TorchRuntime.SetThreads(parse.GetValue(threads));
            // Flip and more scales are per request (flip) or not offered: a server answers one scale by default.
            using var detector = Detector.Load(parse.GetValue(model)!.FullName, new DetectionOptions
            {
                Flip = false,
                Precision = DetectionCommandOptions.ParsePrecision(parse.GetValue(precision)),
                Layout = DetectionCommandOptions.ParseLayout(parse.GetValue(layout)),
            });
            return Serve(detector, options).GetAwaiter().GetResult();
        }));
        return command;
    }

    static async Task<int> Serve(Detector detector, ServerOptions options)
    {
        DetectionServer server;
        try
        {
            server = await DetectionServer.StartAsync(detector, options);
        }
        catch (IOException e)
        {
            // Kestrel reports an address in use or not available as an IOException.
            throw new InvalidInputException(null, $"cannot listen on {options.Host}:{options.Port}: {e.Message}");
        }
        await using var _ = server;
        // After the server's start, so asked before the host's own Ctrl-C handling: the exit code tells the signal.
        using var stop = new StopSignals("stopping: answering the requests in flight");
        Console.WriteLine($"serving {options.ModelName} ({detector.Classes.Count} classes) at {server.Url} — web page /, API POST /v1/detect, /metrics, /healthz, /openapi/v1.json; Ctrl-C stops");
        await server.WaitForShutdownAsync(stop.Token);
        Console.WriteLine($"stopped after {server.Metrics.Requests} request(s)");
        // 130 (Ctrl-C) or 143 (SIGTERM), like every command; 0 when the server stopped otherwise.
        return stop.ExitCode;
    }
}
