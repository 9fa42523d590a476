using System.Diagnostics;
using System.Threading.Channels;
using CornerNet.Data;
using CornerNet.Inference;

namespace CornerNet.Serving;

/// <summary>
/// Dynamic batching: decoded images from concurrent requests wait in a queue; one worker takes the first, gathers more
/// until <see cref="ServerOptions.MaxBatch"/> images or <see cref="ServerOptions.MaxWaitMs"/> have passed, and runs
/// them through the detector together (images of the same network size share a network run). The detector is used by
/// the worker only, as it is not thread-safe.
/// </summary>
internal sealed class DetectionBatcher : IAsyncDisposable
{
    /// <summary>One request's answer from the worker.</summary>
    internal sealed record Result(IReadOnlyList<DetectedObject> Objects, double QueueMs, double InferenceMs, int BatchSize);

    sealed record Job(BgrImage Image, bool Flip, long EnqueuedTimestamp, TaskCompletionSource<Result> Done);

    readonly Detector _detector;
    readonly ServerOptions _options;
    readonly ServerMetrics _metrics;
    readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    readonly Thread _worker;
    int _queued;

    public DetectionBatcher(Detector detector, ServerOptions options, ServerMetrics metrics)
    {
        _detector = detector;
        _options = options;
        _metrics = metrics;
        // One dedicated thread runs the network: libtorch's per-thread state then stays on one thread.
        _worker = new Thread(Work) { IsBackground = true, Name = "detection batcher" };
        _worker.Start();
    }

    /// <summary>Requests waiting for the network.</summary>
    public int QueueLength => Volatile.Read(ref _queued);

    /// <summary>Queues <paramref name="image"/>; null when the queue already holds <see cref="ServerOptions.MaxQueue"/>
    /// requests.</summary>
    public Task<Result>? TryEnqueue(BgrImage image, bool flip)
    {
        if (Interlocked.Increment(ref _queued) > _options.MaxQueue)
        {
            Interlocked.Decrement(ref _queued);
            return null;
        }
        var job = new Job(image, flip, Stopwatch.GetTimestamp(), new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _queued);
            return null;
        }
        return job.Done.Task;
    }

    void Work()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            var batch = new List<Job>();
            if (!reader.TryRead(out var first)) continue;
            batch.Add(first);
            long deadline = Stopwatch.GetTimestamp() + _options.MaxWaitMs * Stopwatch.Frequency / 1000;
            while (batch.Count < _options.MaxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (remaining <= TimeSpan.Zero) break;
                using var wait = new CancellationTokenSource(remaining);
                try
                {
                    if (!reader.WaitToReadAsync(wait.Token).AsTask().GetAwaiter().GetResult()) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            Interlocked.Add(ref _queued, -batch.Count);
            foreach (var group in batch.GroupBy(j => j.Flip)) Run(group.ToList());
        }
    }

    void Run(List<Job> jobs)
    {
        long start = Stopwatch.GetTimestamp();
        var options = _detector.Options with { Flip = jobs[0].Flip };
        try
        {
            var results = _detector.Detect(jobs.Select(j => j.Image).ToList(), _options.MaxBatch, options);
            double inferenceMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            _metrics.RecordBatch(jobs.Count);
            for (int i = 0; i < jobs.Count; i++)
                jobs[i].Done.SetResult(new Result(results[i], Stopwatch.GetElapsedTime(jobs[i].EnqueuedTimestamp, start).TotalMilliseconds, inferenceMs, jobs.Count));
        }
        catch (Exception) when (jobs.Count > 1)
        {
            // One bad image must not fail the others: run each alone so the error reaches only its own request.
            foreach (var job in jobs) Run([job]);
        }
        catch (Exception e)
        {
            jobs[0].Done.SetException(e);
        }
    }

    /// <summary>Stops taking requests, answers the queued ones, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.Run(_worker.Join).ConfigureAwait(false);
    }
}
