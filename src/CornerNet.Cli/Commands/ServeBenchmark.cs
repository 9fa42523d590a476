using System.Diagnostics;
using CornerNet.Benchmarks;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Runtime;
using CornerNet.Serving;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet bench --suite serve</c>: a load test, not a test. Starts the server in-process on a free port and sends
/// 200 detection requests from 8 concurrent clients, once with dynamic batching (max batch 8, 10 ms) and once without
/// (max batch 1); records p50, p99 and max latency, throughput and errors.
/// </summary>
static class ServeBenchmark
{
    const int Requests = 200, Clients = 8;

    public static BenchmarkReport Run(string modelPath, string imageFolder, Precision precision, Action<string> status, Action<BenchmarkRecord> measured)
    {
        var images = Directory.Exists(imageFolder)
            ? Directory.GetFiles(imageFolder, "*.png").Order().Select(File.ReadAllBytes).ToList()
            : [];
        if (images.Count == 0) throw new InvalidInputException(imageFolder, "no .png images to send (the serve suite sends the committed samples/images)");
        var records = new List<BenchmarkRecord>();
        using var detector = Detector.Load(modelPath, new DetectionOptions { Flip = false, Precision = precision });
        foreach (var (name, maxBatch, maxWait) in new[] { ("serve_batching_on", 8, 10), ("serve_batching_off", 1, 0) })
        {
            status($"measuring {name}: {Requests} requests from {Clients} clients");
            var record = Measure(name, detector, images, new ServerOptions { Port = 0, MaxBatch = maxBatch, MaxWaitMs = maxWait, MaxQueue = 256 })
                .GetAwaiter().GetResult();
            record.Extra["max_batch"] = maxBatch;
            records.Add(record);
            measured(record);
        }
        return new BenchmarkReport { Machine = MachineDescription.Current(), Records = records };
    }

    static async Task<BenchmarkRecord> Measure(string name, Detector detector, List<byte[]> images, ServerOptions options)
    {
        await using var server = await DetectionServer.StartAsync(detector, options);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(5) };
        // Warm-up: one request per image size outside the figures.
        foreach (var image in images.Take(2)) await Send(client, image);
        var latencies = new List<double>();
        int errors = 0, next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok = await Send(client, images[i % images.Count]);
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (!ok) errors++;
                }
            }
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        var record = BenchmarkRecord.FromTimes(name, latencies);
        record.Extra["requests"] = Requests;
        record.Extra["clients"] = Clients;
        record.Extra["p50_ms"] = sorted[(int)(0.50 * (sorted.Length - 1))];
        record.Extra["p99_ms"] = sorted[(int)Math.Ceiling(0.99 * (sorted.Length - 1))];
        record.Extra["requests_per_s"] = Requests / seconds;
        record.Extra["errors"] = errors;
        return record;
    }

    static async Task<bool> Send(HttpClient client, byte[] image)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await client.PostAsync("/v1/detect", content);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    }
}
