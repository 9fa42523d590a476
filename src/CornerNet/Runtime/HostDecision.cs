using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace CornerNet.Runtime;

/// <summary>
/// The one way a decision about this host is made (convolution paths, auto precision, auto layout, the int8
/// activation type): once per process and key; a forced decision wins; else it rests on a measurement read from the
/// <see cref="ProbeCache"/> or made now and cached (<see cref="HostDecision.Measured"/>); the decision carries where it
/// came from, for <c>cornernet --version</c>.
/// </summary>
/// <typeparam name="TDecision">The decision record (the chosen value, the measurement, its source).</typeparam>
internal sealed class HostDecision<TDecision> where TDecision : class
{
    readonly ConcurrentDictionary<string, Lazy<TDecision>> _decided = new();
    readonly AsyncLocal<TDecision?> _forced = new();

    /// <summary>The forced decision, else the one for <paramref name="key"/> (made by <paramref name="decide"/> on
    /// first use, once per process).</summary>
    public TDecision For(string key, Func<TDecision> decide) =>
        _forced.Value ?? _decided.GetOrAdd(key, _ => new Lazy<TDecision>(decide)).Value;

    /// <summary>Test hook: <paramref name="decision"/> is in force on this flow of execution until the result is
    /// disposed.</summary>
    public IDisposable Force(TDecision decision)
    {
        var previous = _forced.Value;
        _forced.Value = decision;
        return new Restore(() => _forced.Value = previous);
    }

    sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}

/// <summary>The measuring half of <see cref="HostDecision{TDecision}"/>: cached or measured now, said in
/// words.</summary>
internal static class HostDecision
{
    // One measurement at a time in a process: a probe timed while another runs would measure the other.
    static readonly Lock Measuring = new();

    /// <summary>How <c>cornernet --version</c> words where a measurement came from: <paramref name="Now"/> ("probed
    /// now"), <paramref name="Earlier"/> ("probe cached in") and <paramref name="Failed"/> ("probe failed").</summary>
    internal sealed record Words(string Now, string Earlier, string Failed);

    /// <summary>The words of the oneDNN correctness probe.</summary>
    public static readonly Words Probed = new("probed now", "probe cached in", "probe failed");

    /// <summary>The words of a speed probe, e.g. "bfloat16 measurement failed" for <paramref name="what"/>
    /// "bfloat16".</summary>
    public static Words Speed(string what) =>
        new("measured now", "measured earlier, cached in", $"{what} measurement failed");

    /// <summary>
    /// The measurement for <paramref name="key"/>: the one cached in <paramref name="directory"/> (null: no cache)
    /// under <paramref name="probe"/> when it is <paramref name="usable"/>, else made now by <paramref name="measure"/>
    /// and stored; with where it came from, in <paramref name="words"/>. A measurement that fails in native code
    /// gives no result and says why.
    /// </summary>
    public static (TResult? Result, string Source) Measured<TResult>(string? directory, string probe, string key,
        Func<TResult, bool> usable, Func<TResult> measure, Words words) where TResult : class
    {
        var cache = directory is null ? null : new ProbeCache(directory, probe);
        lock (Measuring)
        {
            if (cache?.Read<TResult>(key) is TResult cached && usable(cached))
                return (cached, $"{words.Earlier} {cache.PathFor(key)}");
            TResult result;
            try { result = measure(); }
            catch (Exception e) when (e is ExternalException or InvalidOperationException)
            {
                return (null, $"{words.Failed} ({e.Message.Split('\n')[0]})");
            }
            bool stored = cache?.Write(key, result) ?? false;
            return (result, stored ? $"{words.Now}, cached in {cache!.PathFor(key)}"
                : cache is null ? $"{words.Now}, not cached (no cache folder)"
                : $"{words.Now}, not cached ({cache.Directory} not writable)");
        }
    }
}
