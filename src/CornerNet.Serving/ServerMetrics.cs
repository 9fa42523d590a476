using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CornerNet.Serving;

/// <summary>
/// The server's counters in Prometheus text format (<c>GET /metrics</c>): requests by status code, errors, request
/// latency and batch size histograms, and the current queue length. Thread-safe.
/// </summary>
public sealed class ServerMetrics
{
    static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64];

    readonly ConcurrentDictionary<int, long> _requestsByCode = new();
    readonly Histogram _latency = new(LatencyBuckets);
    readonly Histogram _batchSize = new(BatchBuckets);
    readonly Func<int> _queueLength;

    /// <summary>Metrics whose queue length gauge reads <paramref name="queueLength"/>.</summary>
    public ServerMetrics(Func<int> queueLength) => _queueLength = queueLength;

    /// <summary>Counts a finished detection request with its status code and duration.</summary>
    public void RecordRequest(int statusCode, TimeSpan duration)
    {
        _requestsByCode.AddOrUpdate(statusCode, 1, (_, n) => n + 1);
        _latency.Observe(duration.TotalSeconds);
    }

    /// <summary>Counts one network run of <paramref name="size"/> images.</summary>
    public void RecordBatch(int size) => _batchSize.Observe(size);

    /// <summary>Detection requests answered so far, all status codes.</summary>
    public long Requests => _requestsByCode.Values.Sum();

    /// <summary>The metrics in Prometheus text exposition format 0.0.4.</summary>
    public string ToPrometheusText()
    {
        var text = new StringBuilder();
        text.Append("# HELP cornernet_requests_total Detection requests answered, by HTTP status code.\n# TYPE cornernet_requests_total counter\n");
        foreach (var (code, count) in _requestsByCode.OrderBy(p => p.Key))
            text.Append(CultureInfo.InvariantCulture, $"cornernet_requests_total{{code=\"{code}\"}} {count}\n");
        long errors = _requestsByCode.Where(p => p.Key >= 400).Sum(p => p.Value);
        text.Append(CultureInfo.InvariantCulture, $"# HELP cornernet_request_errors_total Detection requests answered with a 4xx or 5xx status.\n# TYPE cornernet_request_errors_total counter\ncornernet_request_errors_total {errors}\n");
        _latency.Write(text, "cornernet_request_duration_seconds", "Time from request to response of detection requests.");
        _batchSize.Write(text, "cornernet_batch_size", "Images per network run.");
        text.Append(CultureInfo.InvariantCulture, $"# HELP cornernet_queue_length Requests waiting for the network.\n# TYPE cornernet_queue_length gauge\ncornernet_queue_length {_queueLength()}\n");
        return text.ToString();
    }

    sealed class Histogram(double[] bounds)
    {
        readonly long[] _counts = new long[bounds.Length + 1];
        double _sum;
        readonly Lock _lock = new();

        public void Observe(double value)
        {
            lock (_lock)
            {
                int i = 0;
                while (i < bounds.Length && value > bounds[i]) i++;
                _counts[i]++;
                _sum += value;
            }
        }

        public void Write(StringBuilder text, string name, string help)
        {
            lock (_lock)
            {
                text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                cumulative += _counts[^1];
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {_sum}\n{name}_count {cumulative}\n");
            }
        }
    }
}
