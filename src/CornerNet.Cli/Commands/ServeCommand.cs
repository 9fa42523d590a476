using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CornerNet.Inference;
using CornerNet.Runtime;
using CornerNet.Serving;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet serve MODEL [--port 8080] [--host 127.0.0.1] [--max-batch 8] [--max-wait-ms 10] [--max-queue 64]
/// [--max-bytes 20971520] [--threads N] [--threshold 0.3] [--api-key-file FILE] [--protect-metrics]
/// [--tls-certificate PEM --tls-key PEM]</c>: the HTTP(S) detection server until Ctrl-C or SIGTERM, which drain the
/// requests in flight.
/// </summary>
public static class ServeCommand
{
    /// <summary>The environment variable holding the API key when <c>--api-key-file</c> is not given.</summary>
    public const string ApiKeyVariable = "CORNERNET_API_KEY";

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
        var apiKeyFile = new Option<FileInfo>("--api-key-file")
        {
            Description = "File holding an API key on one line: POST /v1/detect then requires 'Authorization: Bearer "
                + $"KEY' (401 without it). Wins over ${ApiKeyVariable}, which sets the key when this is not given.",
        };
        var tlsCertificate = new Option<FileInfo>("--tls-certificate")
        {
            Description = "PEM certificate (chain) file: the server speaks HTTPS with it (needs --tls-key).",
        };
        var tlsKey = new Option<FileInfo>("--tls-key") { Description = "PEM private key file of --tls-certificate." };
        var protectMetrics = new Option<bool>("--protect-metrics")
        {
            Description = "GET /metrics requires the API key too (/healthz stays open).",
        };
        var command = new Command("serve", "Serve detection over HTTP: POST /v1/detect, a web page at /, /healthz, /metrics, /openapi/v1.json.")
            {
                model, port, host, maxBatch, maxWait, maxQueue, maxBytes, threads, threshold, precision, layout,
                apiKeyFile, protectMetrics, tlsCertificate, tlsKey,
            };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            // The key is read before the model loads: a bad key file is refused at once.
            string? apiKey = ReadApiKey(parse.GetValue(apiKeyFile)?.FullName);
            if (parse.GetValue(protectMetrics) && apiKey is null)
                throw new InvalidInputException(null,
                    $"--protect-metrics needs an API key (--api-key-file or ${ApiKeyVariable})");
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
                ApiKey = apiKey,
                ProtectMetrics = parse.GetValue(protectMetrics),
                Certificate = LoadCertificate(parse.GetValue(tlsCertificate)?.FullName,
                    parse.GetValue(tlsKey)?.FullName),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                string option = e.ParamName switch
                {
                    nameof(ServerOptions.Port) => "--port must be between 0 and 65535",
                    nameof(ServerOptions.MaxBatch) => "--max-batch must be at least 1",
                    nameof(ServerOptions.MaxWaitMs) => "--max-wait-ms must be at least 0",
                    nameof(ServerOptions.MaxQueue) => "--max-queue must be at least 1",
                    nameof(ServerOptions.MaxBytes) => "--max-bytes must be at least 1",
                    nameof(ServerOptions.ApiKey) or nameof(ServerOptions.ProtectMetrics)
                        or nameof(ServerOptions.Certificate) => e.Message.Split(" (")[0],
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
            using var certificate = options.Certificate;
            return Serve(detector, options).GetAwaiter().GetResult();
        }));
        return command;
    }

    /// <summary>The key from <paramref name="keyFile"/>, else from <see cref="ApiKeyVariable"/> (set but empty is
    /// refused: failing open would serve everyone), else null.</summary>
    static string? ReadApiKey(string? keyFile)
    {
        if (keyFile is not null)
        {
            string key = BearerKey.ReadFile(keyFile);
            if (BearerKey.IsReadableByOthers(keyFile))
                Console.Error.WriteLine(
                    $"cornernet: warning: {keyFile} is readable by every user of this machine (chmod 600 it)");
            return key;
        }
        return Environment.GetEnvironmentVariable(ApiKeyVariable) is string value
            ? BearerKey.FromText(value, $"${ApiKeyVariable}")
            : null;
    }

    /// <summary>The certificate of <c>--tls-certificate</c> and <c>--tls-key</c> (PEM), or null for plain HTTP;
    /// a missing half or an unreadable file is one line.</summary>
    static X509Certificate2? LoadCertificate(string? certificate, string? key)
    {
        if (certificate is null && key is null) return null;
        if (certificate is null || key is null)
            throw new InvalidInputException(null, "--tls-certificate and --tls-key go together (both PEM files)");
        foreach (string file in new[] { certificate, key })
        {
            if (Directory.Exists(file)) throw new InvalidInputException(file, "is a directory, not a PEM file");
            if (!File.Exists(file)) throw new InvalidInputException(file, "not found");
            // A FIFO or device reports length 0 and would block or never end.
            if (new FileInfo(file).Length == 0) throw new InvalidInputException(file, "is empty or not a regular file");
        }
        try
        {
            return X509Certificate2.CreateFromPemFile(certificate, key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            throw new InvalidInputException(certificate,
                $"cannot load the certificate with the key {key}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>The one-line warning for a server that other machines can reach: open without a key, unencrypted
    /// without a certificate; null for a loopback one, or one with both.</summary>
    public static string? NetworkWarning(ServerOptions options)
    {
        if (ServerOptions.IsLoopback(options.Host)) return null;
        const string tls = "put TLS in front: --tls-certificate and --tls-key, or a reverse proxy (e.g. Caddy or "
            + "nginx) that terminates HTTPS and forwards to this server on 127.0.0.1";
        string lead = $"cornernet: warning: --host {options.Host} lets other machines in";
        return (options.ApiKey, options.Certificate) switch
        {
            (null, null) => $"{lead}, and the API is open (no API key) and unencrypted (plain HTTP): set "
                + $"--api-key-file or ${ApiKeyVariable}, and {tls}",
            (_, null) => $"{lead} over plain HTTP: the API key and the images travel unencrypted; {tls}",
            (null, _) => $"{lead}, and the API is open (no API key): set --api-key-file or ${ApiKeyVariable}",
            _ => null,
        };
    }

    static async Task<int> Serve(Detector detector, ServerOptions options)
    {
        if (NetworkWarning(options) is string warning) Console.Error.WriteLine(warning);
        DetectionServer server;
        try
        {
            server = await DetectionServer.StartAsync(detector, options);
        }
        catch (IOException e)
        {
            // Kestrel reports an address in use as an IOException.
            throw new InvalidInputException(null, $"cannot listen on {options.Host}:{options.Port}: {e.Message}");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // Any other bind failure, e.g. an address that is not this machine's.
            throw new InvalidInputException(null, $"cannot listen on {options.Host}:{options.Port}: {e.Message} "
                + "(--host must be an address of this machine, 0.0.0.0 or ::)");
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
