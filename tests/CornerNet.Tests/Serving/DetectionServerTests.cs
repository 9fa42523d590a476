using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CornerNet.Inference;
using CornerNet.Serving;
using CornerNet.Tests.Data;

namespace CornerNet.Tests.Serving;

/// <summary>The detection server over real HTTP (Kestrel on a free port) with the shipped tiny model.</summary>
public class DetectionServerTests
{
    internal static readonly string ModelPath = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    internal static string SamplePath(int n) => Path.Combine(Fixtures.RepoRoot, "samples", "images", $"{n:D6}.png");

    /// <summary>A running server on a free localhost port with its own detector and an HTTP client; dispose to stop both.</summary>
    internal sealed class RunningServer : IAsyncDisposable
    {
        public Detector Detector { get; }
        public DetectionServer Server { get; }
        public HttpClient Client { get; }

        RunningServer(Detector detector, DetectionServer server)
        {
            Detector = detector;
            Server = server;
            Client = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(2) };
        }

        public static async Task<RunningServer> StartAsync(ServerOptions? options = null)
        {
            var detector = Detector.Load(ModelPath, new DetectionOptions { Flip = false });
            var server = await DetectionServer.StartAsync(detector, (options ?? new ServerOptions()) with { Port = 0, ModelName = "shapes-tiny" });
            return new RunningServer(detector, server);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Server.DisposeAsync();
            Detector.Dispose();
        }
    }

    static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(HttpClient client, byte[] body, string query = "")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await client.PostAsync("/v1/detect" + query, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    static void AssertSameObjects(IReadOnlyList<DetectedObject> expected, JsonElement answer)
    {
        var objects = answer.GetProperty("objects").EnumerateArray().ToList();
        Assert.Equal(expected.Count, objects.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].ClassName, objects[i].GetProperty("class_name").GetString());
            Assert.Equal(expected[i].CategoryId, objects[i].GetProperty("class_id").GetInt32());
            Assert.Equal(expected[i].Score, objects[i].GetProperty("score").GetSingle(), 1e-5);
            var box = objects[i].GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(new[] { expected[i].X1, expected[i].Y1, expected[i].X2, expected[i].Y2 }, box, (a, b) => Math.Abs(a - b) <= 1e-3);
        }
    }

    [Fact]
    public async Task DetectionsEqualTheDetectorForRawAndMultipartRequests()
    {
        await using var running = await RunningServer.StartAsync();
        using var reference = Detector.Load(ModelPath, new DetectionOptions { Flip = false });
        using var flipped = Detector.Load(ModelPath, new DetectionOptions { Flip = true });
        var bytes = File.ReadAllBytes(SamplePath(1));

        var (status, answer, _) = await PostAsync(running.Client, bytes, "?threshold=0.3");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("shapes-tiny", answer.GetProperty("model").GetString());
        Assert.Equal(127, answer.GetProperty("width").GetInt32());
        var expected = reference.Detect(SamplePath(1)).Where(d => d.Score >= 0.3f).ToList();
        Assert.NotEmpty(expected);
        AssertSameObjects(expected, answer);

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(SamplePath(2))), "image", "000002.png" },
            { new StringContent("true"), "flip" },
            { new StringContent("0.1"), "threshold" },
            { new StringContent("3"), "max_detections" },
        };
        var response = await running.Client.PostAsync("/v1/detect", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var multipart = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        AssertSameObjects(flipped.Detect(SamplePath(2)).Where(d => d.Score >= 0.1f).Take(3).ToList(), multipart);
        Assert.True(multipart.GetProperty("timing_ms").GetProperty("total").GetDouble() > 0);
    }

    [Fact]
    public async Task DetectionsEqualTheCliDetectJsonForTheSameImage()
    {
        string dir = Directory.CreateTempSubdirectory("serve-vs-detect-").FullName;
        try
        {
            string json = Path.Combine(dir, "dets.json");
            var (code, _, error) = CornerNet.Tests.Cli.CliRunner.Run("detect", ModelPath, SamplePath(3), "--json", json, "--threshold", "0.3");
            Assert.True(code == 0, error);
            var fromCli = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().ToList();
            Assert.NotEmpty(fromCli);

            await using var running = await RunningServer.StartAsync();
            var (status, answer, _) = await PostAsync(running.Client, File.ReadAllBytes(SamplePath(3)), "?threshold=0.3");
            Assert.Equal(HttpStatusCode.OK, status);
            var objects = answer.GetProperty("objects").EnumerateArray().ToList();
            Assert.Equal(fromCli.Count, objects.Count);
            for (int i = 0; i < objects.Count; i++)
            {
                Assert.Equal(fromCli[i].GetProperty("category_id").GetInt32(), objects[i].GetProperty("class_id").GetInt32());
                Assert.Equal(fromCli[i].GetProperty("score").GetSingle(), objects[i].GetProperty("score").GetSingle(), 1e-5);
                var bbox = fromCli[i].GetProperty("bbox").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                var box = objects[i].GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                Assert.Equal(new[] { bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3] }, box, (a, b) => Math.Abs(a - b) <= 1e-3);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task BadRequestsGetOneLineJsonErrorsAndTheServerKeepsServing()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions { MaxBytes = 20_000 });
        var cases = new (byte[] Body, string Query, HttpStatusCode Status, string Says)[]
        {
            ([], "", HttpStatusCode.BadRequest, "empty"),
            ("not an image"u8.ToArray(), "", HttpStatusCode.BadRequest, "request body"),
            (TestImageFiles.PngClaiming(20000, 20000), "", HttpStatusCode.BadRequest, "limit"),
            (File.ReadAllBytes(SamplePath(1)), "", HttpStatusCode.RequestEntityTooLarge, "--max-bytes"),
            (TestImageFiles.Encode("png"), "?threshold=abc", HttpStatusCode.BadRequest, "threshold"),
        };
        Assert.True(File.ReadAllBytes(SamplePath(1)).Length > 20_000);
        foreach (var (body, query, expectedStatus, says) in cases)
        {
            var (status, answer, response) = await PostAsync(running.Client, body, query);
            Assert.Equal(expectedStatus, status);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain('\n', text);
            Assert.Contains(says, answer.GetProperty("error").GetString());
        }
        var (okStatus, _, _) = await PostAsync(running.Client, TestImageFiles.Encode("png", 64, 48));
        Assert.Equal(HttpStatusCode.OK, okStatus);
        var metrics = await running.Client.GetStringAsync("/metrics");
        Assert.Contains("cornernet_requests_total{code=\"400\"} 4", metrics);
        Assert.Contains("cornernet_requests_total{code=\"413\"} 1", metrics);
        Assert.Contains("cornernet_request_errors_total 5", metrics);
    }

    [Fact]
    public async Task ChunkedBodyOverMaxBytesIs413()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions { MaxBytes = 1000 });
        // No Content-Length: the limit applies while reading.
        using var content = new StreamContent(new MemoryStream(new byte[50_000]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await running.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task FullQueueIs503WithRetryAfter()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions { MaxQueue = 1, MaxBatch = 1, MaxWaitMs = 0 });
        var bytes = File.ReadAllBytes(SamplePath(3));
        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => PostAsync(running.Client, bytes)));
        var rejected = answers.Where(a => a.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, a => Assert.Equal("1", a.Response.Headers.GetValues("Retry-After").Single()));
        Assert.All(answers, a => Assert.Contains(a.Status, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.OK);
        var (after, _, _) = await PostAsync(running.Client, bytes);
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task FiftyConcurrentRequestsAreBatchedAnsweredCorrectlyAndCounted()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions { MaxBatch = 8, MaxWaitMs = 50 });
        using var reference = Detector.Load(ModelPath, new DetectionOptions { Flip = false });
        var expected = Enumerable.Range(1, 5).Select(n => reference.Detect(SamplePath(n)).Where(d => d.Score >= 0.3f).ToList()).ToList();
        var bodies = Enumerable.Range(1, 5).Select(n => File.ReadAllBytes(SamplePath(n))).ToList();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => PostAsync(running.Client, bodies[i % 5])));
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, answers[i].Status);
            AssertSameObjects(expected[i % 5], answers[i].Body);
        }
        Assert.Contains(answers, a => a.Body.GetProperty("timing_ms").GetProperty("batch_size").GetInt32() > 1);
        var metrics = await running.Client.GetStringAsync("/metrics");
        Assert.Contains("cornernet_requests_total{code=\"200\"} 50", metrics);
        Assert.Contains("cornernet_request_duration_seconds_count 50", metrics);
        int batches = int.Parse(metrics.Split('\n').Single(l => l.StartsWith("cornernet_batch_size_count ")).Split(' ')[1]);
        Assert.InRange(batches, 7, 49);
        Assert.Contains("cornernet_queue_length 0", metrics);
    }

    [Fact]
    public async Task HealthzOpenApiAndPageAreServed()
    {
        await using var running = await RunningServer.StartAsync();
        var health = JsonDocument.Parse(await running.Client.GetStringAsync("/healthz")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var openApi = JsonDocument.Parse(await running.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/v1/detect", out _));
        var page = await running.Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("v1/detect", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ResidentMemoryStaysFlatOverManyRequests()
    {
        await using var running = await RunningServer.StartAsync(new ServerOptions { MaxBatch = 4, MaxWaitMs = 5 });
        var bodies = Enumerable.Range(1, 4).Select(n => File.ReadAllBytes(SamplePath(n))).ToList();
        async Task Round()
        {
            var answers = await Task.WhenAll(bodies.Select(b => PostAsync(running.Client, b)));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        }
        // Warm-up fills the allocator's and Kestrel's pools; after it, memory must not keep growing.
        for (int i = 0; i < 40; i++) await Round();
        GC.Collect();
        long before = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        for (int i = 0; i < 100; i++) await Round();
        GC.Collect();
        long after = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        double growth = (after - before) / (double)before;
        Assert.True(growth < 0.05, $"resident set grew {growth:P1} ({before >> 20} MB → {after >> 20} MB) over 400 requests");
    }

    [Fact]
    public async Task StoppingAnswersTheRequestsInFlight()
    {
        var running = await RunningServer.StartAsync(new ServerOptions { MaxBatch = 16, MaxWaitMs = 1500 });
        var bytes = File.ReadAllBytes(SamplePath(4));
        var requests = Enumerable.Range(0, 6).Select(_ => PostAsync(running.Client, bytes)).ToList();
        // The requests wait in the batcher's queue (max wait 1.5 s) when the server is told to stop.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!running.Server.Metrics.ToPrometheusText().Contains("cornernet_queue_length 6") && DateTime.UtcNow < deadline) await Task.Delay(10);
        var stopping = running.Server.DisposeAsync().AsTask();
        var answers = await Task.WhenAll(requests);
        await stopping;
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        running.Client.Dispose();
        running.Detector.Dispose();
    }
}
