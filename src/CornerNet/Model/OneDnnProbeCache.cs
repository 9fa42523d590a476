using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CornerNet.Model;

/// <summary>
/// Keeps <see cref="OneDnnProbe"/> results on disk, one small JSON file per key (CPU identity, libtorch version, probe
/// version), so the probe runs once per host. Any problem — missing, corrupt or foreign file, unreadable or unwritable
/// folder — means "no cached result": the caller probes again, nothing throws.
/// </summary>
internal sealed class OneDnnProbeCache(string directory)
{
    /// <summary>The folder the files live in.</summary>
    public string Directory { get; } = directory;

    /// <summary>
    /// <c>$CORNERNET_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/cornernet</c>, else <c>~/.cache/cornernet</c> (null when no
    /// home folder is known).
    /// </summary>
    public static string? DefaultDirectory
    {
        get
        {
            string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
            if (Variable("CORNERNET_CACHE_DIR") is string own) return own;
            if (Variable("XDG_CACHE_HOME") is string xdg) return Path.Combine(xdg, "cornernet");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return home.Length > 0 ? Path.Combine(home, ".cache", "cornernet") : null;
        }
    }

    /// <summary>The key of this host: CPU, libtorch version and probe version.</summary>
    public static string HostKey => $"{CpuIdentity.Current.Key}|libtorch {TorchRuntime.LibTorchVersion}|probe {OneDnnProbe.Version}";

    /// <summary>The file that holds the result for <paramref name="key"/>.</summary>
    public string PathFor(string key) =>
        Path.Combine(Directory, $"onednn-probe-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.json");

    /// <summary>The cached result for <paramref name="key"/>, or null when there is none that can be trusted.</summary>
    public OneDnnProbeResult? Read(string key)
    {
        try
        {
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(PathFor(key)));
            return entry?.Key == key ? entry.Result : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException) { return null; }
    }

    /// <summary>Stores <paramref name="result"/> atomically; returns false (and changes nothing) when the folder is not writable.</summary>
    public bool Write(string key, OneDnnProbeResult result)
    {
        try
        {
            AtomicFile.WriteAllText(PathFor(key), JsonSerializer.Serialize(new Entry(key, result)));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The file's content: the full key (a hash collision or an edited file must not be trusted) and the result.</summary>
    sealed record Entry([property: JsonPropertyName("key")] string Key, [property: JsonPropertyName("result")] OneDnnProbeResult? Result);
}
