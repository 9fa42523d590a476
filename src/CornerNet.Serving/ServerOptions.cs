using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;

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

    /// <summary>When set, <c>POST /v1/detect</c> requires the header <c>Authorization: Bearer KEY</c> and answers
    /// 401 without it; <c>/healthz</c>, the web page and the OpenAPI document stay open. Printable ASCII without
    /// spaces (e.g. <c>openssl rand -hex 32</c>). Null (the default): anyone who reaches the port may detect.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Whether <c>GET /metrics</c> requires the <see cref="ApiKey"/> too (default: open).</summary>
    public bool ProtectMetrics { get; init; }

    /// <summary>When set, the server speaks HTTPS with this certificate, which must carry its private key (e.g.
    /// <c>X509Certificate2.CreateFromPemFile(cert, key)</c>); null (the default): plain HTTP. The caller keeps
    /// owning it.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range, and
    /// <see cref="ArgumentException"/> for an unusable <see cref="ApiKey"/> or <see cref="ProtectMetrics"/> without
    /// one.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 0, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatch, 1, nameof(MaxBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWaitMs, 0, nameof(MaxWaitMs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueue, 1, nameof(MaxQueue));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, nameof(MaxBytes));
        if (!(Threshold >= 0 && Threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(Threshold), "must be between 0 and 1");
        if (ApiKey is not null && BearerKey.Problem(ApiKey) is string problem)
            throw new ArgumentException($"the API key {problem}", nameof(ApiKey));
        if (ProtectMetrics && ApiKey is null)
            throw new ArgumentException("protecting /metrics needs an API key", nameof(ProtectMetrics));
        if (Certificate is { HasPrivateKey: false })
            throw new ArgumentException("the certificate has no private key", nameof(Certificate));
    }

    /// <summary>Whether <paramref name="host"/> is reachable from this machine only: localhost, 127.0.0.0/8 or
    /// ::1. Host names other than localhost count as open: they may resolve to any interface.</summary>
    internal static bool IsLoopback(string host)
    {
        string bare = host.Trim().TrimStart('[').TrimEnd(']');
        if (bare.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (!IPAddress.TryParse(bare, out var address)) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return IPAddress.IsLoopback(address);
    }

    // The record's generated ToString would print the key into any log that shows the options.
    bool PrintMembers(StringBuilder text)
    {
        text.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Host = {Host}, Port = {Port}, MaxBatch = {MaxBatch}, MaxWaitMs = {MaxWaitMs}, MaxQueue = {MaxQueue}, ");
        text.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"MaxBytes = {MaxBytes}, Threshold = {Threshold}, ModelName = {ModelName}, ");
        text.Append($"ApiKey = {(ApiKey is null ? "" : "(set)")}, ProtectMetrics = {ProtectMetrics}, ");
        text.Append($"Certificate = {Certificate?.Subject}");
        return true;
    }
}
