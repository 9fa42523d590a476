namespace CornerNet.Serving;

/// <summary>Settings of <see cref="DetectionServer"/> (the <c>cornernet serve</c> options).</summary>
public sealed record ServerOptions
{
    /// <summary>Address to bind (default localhost only; 0.0.0.0 must be asked for).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (0: a free one, see <see cref="DetectionServer.Url"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Most images run through the network together.</summary>
    public int MaxBatch { get; init; } = 8;

    /// <summary>How long the first request of a batch waits for more, in milliseconds.</summary>
    public int MaxWaitMs { get; init; } = 10;

    /// <summary>Most requests waiting for the network; more are answered 503 with Retry-After.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Largest request body in bytes (default 20 MB); larger ones are answered 413 without being
    /// read.</summary>
    public long MaxBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>Default minimum score of a returned object (a request's <c>threshold</c> overrides it).</summary>
    public float Threshold { get; init; } = 0.3f;

    /// <summary>The model's name in responses (e.g. its file name).</summary>
    public string ModelName { get; init; } = "model";

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 0, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWaitMs, 0, nameof(MaxWaitMs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueue, 1, nameof(MaxQueue));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, nameof(MaxBytes));
        if (!(Threshold >= 0 && Threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(Threshold), "must be between 0 and 1");
    }
}
