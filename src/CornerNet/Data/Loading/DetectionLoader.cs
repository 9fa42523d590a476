using System.Runtime.ExceptionServices;

namespace CornerNet.Data;

/// <summary>
/// Feeds training: worker threads load and augment images ahead of the consumer into a bounded
/// buffer, and <see cref="Epoch"/> hands them out as batches in a fixed order. Every image's
/// augmentation draws from its own generator seeded by (seed, epoch, image index), and results
/// are reassembled by position, so the batches are identical for any number of workers and any
/// thread timing.
/// </summary>
internal sealed class DetectionLoader
{
    readonly IDetectionSource _source;
    readonly TrainingSampleBuilder _builder;
    int _skipped;

    /// <summary>The settings in use.</summary>
    public DetectionLoaderOptions Options { get; }

    /// <summary>Creates a loader over <paramref name="source"/> that augments with
    /// <paramref name="builder"/>.</summary>
    public DetectionLoader(IDetectionSource source, TrainingSampleBuilder builder, DetectionLoaderOptions? options = null)
    {
        _source = source;
        _builder = builder;
        Options = options ?? new DetectionLoaderOptions();
        if (Options.BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {Options.BatchSize}");
        if (Options.Workers <= 0) throw new ArgumentException($"worker count must be positive, got {Options.Workers}");
        if (Options.PrefetchBatches <= 0) throw new ArgumentException($"prefetch must be positive, got {Options.PrefetchBatches}");
    }

    /// <summary>Batches per epoch (the last one may be partial).</summary>
    public int BatchesPerEpoch => (_source.Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>Images left out so far because they could not be loaded (with
    /// <see cref="DetectionLoaderOptions.SkipBadImages"/>).</summary>
    public int SkippedImages => Volatile.Read(ref _skipped);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the source's images.</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _source.Count).ToArray();
        if (!Options.Shuffle) return order;
        var random = new Random(SampleSeed.Derive(Options.Seed, epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>. Workers start when enumeration starts and stop
    /// when it ends or is abandoned. A bad image throws its <see cref="InvalidInputException"/> here
    /// unless bad images are skipped; a batch whose images were all skipped is left out.
    /// <paramref name="firstBatch"/> starts part-way through the epoch (for resuming a run).
    /// </summary>
    public IEnumerable<DetectionBatch> Epoch(int epoch, int firstBatch = 0)
    {
        int batchSize = Options.BatchSize;
        // Samples are seeded by (seed, epoch, dataset index), so starting part-way gives the same batches as a full
        // pass.
        var order = Order(epoch)[Math.Min(_source.Count, firstBatch * batchSize)..];
        // Each batch's positions in the order this process loads: all of them, or its chunk only.
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int end = Math.Min(order.Length, start + batchSize);
            if (Options.Chunk is { } chunk) batches.Add(Enumerable.Range(start + chunk.Offset, Math.Max(0, Math.Min(chunk.Count, end - start - chunk.Offset))).ToArray());
            else batches.Add(Enumerable.Range(start, end - start).ToArray());
        }
        var positions = batches.SelectMany(p => p).ToArray();
        using var run = new EpochRun(this, positions.Select(p => order[p]).ToArray(), epoch);
        int taken = 0;
        foreach (var batch in batches)
        {
            var samples = new List<TrainingSample>(batch.Length);
            var indices = new List<int>(batch.Length);
            foreach (int p in batch)
            {
                object result = run.Take(taken++);
                if (result is TrainingSample sample)
                {
                    samples.Add(sample);
                    indices.Add(order[p]);
                }
                else if (result is InvalidInputException && Options.SkipBadImages)
                {
                    Interlocked.Increment(ref _skipped);
                }
                else
                {
                    ExceptionDispatchInfo.Capture((Exception)result).Throw();
                }
            }
            // With a chunk every batch is yielded, even empty, so that all processes step through the same batches.
            if (samples.Count > 0 || Options.Chunk is not null) yield return new DetectionBatch(samples, indices);
        }
    }

    /// <summary>Augments image <paramref name="index"/> as epoch <paramref name="epoch"/> of this loader
    /// does.</summary>
    public TrainingSample Sample(int epoch, int index)
    {
        var labeled = _source.Load(index);
        var random = new Random(SampleSeed.Derive(Options.Seed, epoch, index));
        return _builder.Build(labeled.Image, labeled.Boxes, labeled.Classes, random);
    }

    /// <summary>The worker threads and result buffer of one epoch.</summary>
    sealed class EpochRun : IDisposable
    {
        readonly DetectionLoader _loader;
        readonly int[] _order;
        readonly int _epoch;
        readonly object?[] _results;
        readonly object _gate = new();
        readonly SemaphoreSlim _room;
        readonly CancellationTokenSource _stop = new();
        readonly Thread[] _threads;
        int _next = -1;

        public EpochRun(DetectionLoader loader, int[] order, int epoch)
        {
            _loader = loader;
            _order = order;
            _epoch = epoch;
            _results = new object?[order.Length];
            // Positions are claimed in increasing order and only while there is room, so the
            // position the consumer waits for is always claimed or claimable: no deadlock.
            _room = new SemaphoreSlim(loader.Options.PrefetchBatches * loader.Options.BatchSize);
            _threads = new Thread[Math.Min(loader.Options.Workers, Math.Max(1, order.Length))];
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(Work) { IsBackground = true, Name = $"cornernet-loader-{i}" };
                _threads[i].Start();
            }
        }

        void Work()
        {
            while (true)
            {
                try
                {
                    _room.Wait(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                int p = Interlocked.Increment(ref _next);
                if (p >= _order.Length) return;
                object result;
                try
                {
                    result = _loader.Sample(_epoch, _order[p]);
                }
                catch (Exception e)
                {
                    result = e;
                }
                lock (_gate)
                {
                    _results[p] = result;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Waits for position <paramref name="p"/>: its <see cref="TrainingSample"/> or the exception it
        /// raised.</summary>
        public object Take(int p)
        {
            object result;
            lock (_gate)
            {
                while (_results[p] is null) Monitor.Wait(_gate);
                result = _results[p]!;
                _results[p] = null;
            }
            _room.Release();
            return result;
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var thread in _threads) thread.Join();
            _stop.Dispose();
            _room.Dispose();
        }
    }
}
