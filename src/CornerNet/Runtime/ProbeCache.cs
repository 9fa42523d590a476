using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CornerNet.Runtime;

/// <summary>
/// Keeps the measurements host decisions rest on (<see cref="HostDecision"/>: <see cref="OneDnnProbe"/>,
/// <see cref="BFloat16Probe"/>, <see cref="LayoutProbe"/>, the int8 activation-type probe) on disk in one format: one
/// small JSON file per probe and key (CPU identity, runtime version, probe version, and what else the measurement
/// depends on), holding the full key and the result, so each probe runs once per host. Any problem — missing, corrupt
/// or foreign file, unreadable or unwritable folder — means "no cached result": the caller probes again, nothing
/// throws.
/// </summary>
internal sealed class ProbeCache(string directory, string probe = ProbeCache.ConvolutionCorrectness)
{
    /// <summary>The probe name of <see cref="OneDnnProbe"/> (convolution correctness).</summary>
    public const string ConvolutionCorrectness = "onednn-probe";

    /// <summary>The probe name of <see cref="BFloat16Probe"/> (bfloat16 speed).</summary>
    public const string BFloat16Speed = "bf16-probe";

    /// <summary>The probe name of <see cref="LayoutProbe"/> (channels-last speed).</summary>
    public const string LayoutSpeed = "layout-probe";

    /// <summary>The probe name of the int8 activation-type probe (ONNX Runtime uint8 vs int8 speed).</summary>
    public const string ActivationTypeSpeed = "int8-probe";

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

    /// <summary>The key of this host for a probe: CPU, the runtime that runs it (default: this libtorch) and the
    /// probe's version.</summary>
    public static string HostKey(int probeVersion, string? runtime = null) =>
        $"{CpuIdentity.Current.Key}|{runtime ?? $"libtorch {TorchRuntime.LibTorchVersion}"}|probe {probeVersion}";

    /// <summary>The file that holds the result for <paramref name="key"/>.</summary>
    public string PathFor(string key) =>
        Path.Combine(Directory, $"{probe}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.json");

    /// <summary>The cached result for <paramref name="key"/>, or null when there is none that can be trusted.</summary>
    public TResult? Read<TResult>(string key) where TResult : class
    {
        try
        {
            var entry = JsonSerializer.Deserialize<Entry<TResult>>(File.ReadAllText(PathFor(key)));
            return entry?.Key == key ? entry.Result : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException) { return null; }
    }

    /// <summary>Stores <paramref name="result"/> atomically; returns false (and changes nothing) when the folder is not
    /// writable.</summary>
    public bool Write<TResult>(string key, TResult result) where TResult : class
    {
        try
        {
            AtomicFile.WriteAllText(PathFor(key), JsonSerializer.Serialize(new Entry<TResult>(key, result)));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidInputException) { return false; }
    }

    /// <summary>The file's content: the full key (a hash collision or an edited file must not be trusted) and the
    /// result.</summary>
    sealed record Entry<TResult>([property: JsonPropertyName("key")] string Key, [property: JsonPropertyName("result")] TResult? Result) where TResult : class;
}
