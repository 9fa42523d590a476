using System.Diagnostics;
using System.Globalization;
using CornerNet.Data;
using CornerNet.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CornerNet.Serving;

/// <summary>
/// The detection HTTP server (Kestrel, minimal APIs): <c>POST /v1/detect</c> (raw image bytes or a multipart form;
/// <c>threshold</c>, <c>flip</c>, <c>max_detections</c> in the query or form), <c>GET /</c> (a web page),
/// <c>/healthz</c>, <c>/metrics</c> (Prometheus) and <c>/openapi/v1.json</c>. Concurrent requests are batched
/// (<see cref="ServerOptions.MaxBatch"/>, <see cref="ServerOptions.MaxWaitMs"/>). Bad requests get a one-line JSON
/// error (400, 401, 413, 503) and the server keeps serving. With <see cref="ServerOptions.ApiKey"/>,
/// <c>/v1/detect</c> (and <c>/metrics</c> with <see cref="ServerOptions.ProtectMetrics"/>) require
/// <c>Authorization: Bearer KEY</c>; with <see cref="ServerOptions.Certificate"/>, it speaks HTTPS. Disposing drains
/// the requests in flight, then stops.
/// The caller keeps owning the detector and disposes it after the server.
/// </summary>
public sealed class DetectionServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly DetectionBatcher _batcher;
    readonly ServerOptions _options;
    readonly int _classCount;
    readonly BearerKey? _key;

    DetectionServer(WebApplication app, DetectionBatcher batcher, ServerMetrics metrics, ServerOptions options, int classCount)
    {
        _app = app;
        _batcher = batcher;
        Metrics = metrics;
        _options = options;
        _classCount = classCount;
        _key = options.ApiKey is null ? null : new BearerKey(options.ApiKey);
    }

    /// <summary>The server's counters.</summary>
    public ServerMetrics Metrics { get; }

    /// <summary>The address the server listens on, e.g. <c>http://127.0.0.1:8080</c> (the real port when 0 was asked for).</summary>
    public string Url => _app.Urls.First();

    /// <summary>Starts serving <paramref name="detector"/> with <paramref name="options"/>.</summary>
    public static async Task<DetectionServer> StartAsync(Detector detector, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        string scheme = options.Certificate is null ? "http" : "https";
        string host = options.Host.Contains(':') ? $"[{options.Host}]" : options.Host;
        builder.WebHost.UseUrls($"{scheme}://{host}:{options.Port}");
        // The slim builder leaves HTTPS out unless asked for.
        if (options.Certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBytes;
            if (options.Certificate is not null)
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = options.Certificate);
        });
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            OpenApiSecurity.Describe(document, options);
            return Task.CompletedTask;
        }));
        var app = builder.Build();

        DetectionBatcher? batcher = null;
        var metrics = new ServerMetrics(() => batcher?.QueueLength ?? 0);
        batcher = new DetectionBatcher(detector, options, metrics);
        var server = new DetectionServer(app, batcher, metrics, options, detector.Classes.Count);

        app.MapOpenApi();
        app.MapGet("/", () => Results.Text(IndexPage.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Json(new { status = "ok", model = options.ModelName }))
            .WithSummary("Liveness: 200 while the server runs.");
        var metricsEndpoint = app.MapGet("/metrics", (HttpContext context) =>
                (options.ProtectMetrics ? server.Refusal(context) : null)
                ?? Results.Text(metrics.ToPrometheusText(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus metrics: requests, errors, latency and batch size histograms, queue length.");
        var detect = app.MapPost("/v1/detect", (Func<HttpContext, Task<IResult>>)server.DetectAsync)
            .WithSummary("Detect objects in an image (raw bytes or multipart field 'image'); query or form: threshold, flip, max_detections.")
            .Produces<DetectionResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        if (options.ApiKey is not null) detect.Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);
        if (options.ProtectMetrics) metricsEndpoint.Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Completes when the host is asked to stop (Ctrl-C, SIGTERM) or <paramref name="cancellation"/>
    /// fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    async Task<IResult> DetectAsync(HttpContext context)
    {
        var clock = Stopwatch.StartNew();
        var result = await AnswerAsync(context, clock).ConfigureAwait(false);
        int status = result is IStatusCodeHttpResult { StatusCode: int code } ? code : StatusCodes.Status200OK;
        Metrics.RecordRequest(status, clock.Elapsed);
        return result;
    }

    /// <summary>The 401 answer when the server has a key and <paramref name="context"/>'s request does not carry
    /// it; null when the request may go on.</summary>
    IResult? Refusal(HttpContext context)
    {
        if (_key?.Refusal(context.Request.Headers.Authorization) is not string problem) return null;
        // RFC 6750, section 3: a missing key gets the bare challenge, a wrong one says the token is invalid.
        context.Response.Headers.WWWAuthenticate = context.Request.Headers.Authorization.Count == 0
            ? "Bearer realm=\"cornernet\""
            : "Bearer realm=\"cornernet\", error=\"invalid_token\"";
        return Error(StatusCodes.Status401Unauthorized, problem);
    }

    async Task<IResult> AnswerAsync(HttpContext context, Stopwatch clock)
    {
        // Before anything is read: a request without the key costs the server no decoding.
        if (Refusal(context) is IResult refused) return refused;
        var request = context.Request;
        if (request.ContentLength > _options.MaxBytes)
        {
            // The body stays unread, so the connection cannot carry another request.
            context.Response.Headers.Connection = "close";
            return Error(StatusCodes.Status413PayloadTooLarge, $"request body of {request.ContentLength} bytes is over the limit of {_options.MaxBytes} bytes (--max-bytes)");
        }
        byte[] bytes;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Query) parameters[key] = value.ToString();
        try
        {
            // Only multipart is a form here: curl's --data-binary labels raw image bytes x-www-form-urlencoded.
            if (request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                var form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
                foreach (var (key, value) in form) parameters[key] = value.ToString();
                var file = form.Files.GetFile("image") ?? form.Files.FirstOrDefault();
                if (file is null) return Error(StatusCodes.Status400BadRequest, "the multipart form has no file (send the image in a field named 'image')");
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                bytes = buffer.ToArray();
            }
            else
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                bytes = buffer.ToArray();
            }
        }
        catch (BadHttpRequestException e)
        {
            context.Response.Headers.Connection = "close";
            return e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Error(StatusCodes.Status413PayloadTooLarge, $"request body is over the limit of {_options.MaxBytes} bytes (--max-bytes)")
                : Error(StatusCodes.Status400BadRequest, $"bad request: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            return Error(StatusCodes.Status400BadRequest, $"bad multipart form: {e.Message}");
        }
        catch (IOException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // A multipart body that ends before its closing boundary: the form reader reports the end of the stream.
            return Error(StatusCodes.Status400BadRequest,
                $"bad multipart form (is its closing boundary missing?): {e.Message}");
        }
        if (bytes.Length == 0) return Error(StatusCodes.Status400BadRequest, "empty request body: send the image bytes, or a multipart form with the image");

        if (!TryParameters(parameters, out float threshold, out bool flip, out int maxDetections, out string? problem))
            return Error(StatusCodes.Status400BadRequest, problem!);

        BgrImage image;
        try
        {
            // The decoder checks the header's size against InputLimits before allocating the pixels (decompression
            // bombs).
            image = ImageDecoder.Decode(bytes, "request body");
        }
        catch (InvalidInputException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        double decodeMs = clock.Elapsed.TotalMilliseconds;

        var pending = _batcher.TryEnqueue(image, flip);
        if (pending is null)
        {
            context.Response.Headers.RetryAfter = "1";
            return Error(StatusCodes.Status503ServiceUnavailable, $"the queue is full ({_options.MaxQueue} requests waiting, --max-queue); retry later");
        }
        DetectionBatcher.Result answer;
        try
        {
            answer = await pending.ConfigureAwait(false);
        }
        catch (InvalidInputException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        var objects = answer.Objects.Where(o => o.Score >= threshold).Take(maxDetections)
            .Select(o => new ObjectResponse(o.CategoryId, o.ClassName, o.Score, [o.X1, o.Y1, o.X2, o.Y2])).ToList();
        var timing = new TimingResponse(Math.Round(decodeMs, 3), Math.Round(answer.QueueMs, 3), Math.Round(answer.InferenceMs, 3),
            Math.Round(clock.Elapsed.TotalMilliseconds, 3), answer.BatchSize);
        return Results.Json(new DetectionResponse(_options.ModelName, image.Width, image.Height, objects, timing));
    }

    bool TryParameters(Dictionary<string, string> parameters, out float threshold, out bool flip, out int maxDetections, out string? problem)
    {
        threshold = _options.Threshold;
        flip = false;
        maxDetections = 100;
        problem = null;
        if (parameters.TryGetValue("threshold", out var t) &&
            !(float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) && threshold >= 0 && threshold <= 1))
            problem = $"threshold must be a number between 0 and 1, got '{t}'";
        else if (parameters.TryGetValue("flip", out var f))
        {
            if (f is "1" or "true" or "True") flip = true;
            else if (f is not ("0" or "false" or "False")) problem = $"flip must be true or false, got '{f}'";
        }
        if (problem is null && parameters.TryGetValue("max_detections", out var m) &&
            !(int.TryParse(m, NumberStyles.Integer, CultureInfo.InvariantCulture, out maxDetections) && maxDetections >= 0))
            problem = $"max_detections must be a whole number of at least 0, got '{m}'";
        return problem is null;
    }

    static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message.ReplaceLineEndings(" ")), statusCode: status);

    static readonly Lazy<string> IndexPage = new(() =>
    {
        using var stream = typeof(DetectionServer).Assembly.GetManifestResourceStream("CornerNet.Serving.index.html")
            ?? throw new InvalidOperationException("the web page is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Stops taking connections, answers the requests in flight, then releases the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _batcher.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
