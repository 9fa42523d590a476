namespace CornerNet.Runtime;

/// <summary>
/// The processor this process runs on, as <c>/proc/cpuinfo</c> describes its first CPU: vendor, model name, family,
/// model, stepping and feature flags. Which native kernels are right can differ between CPUs of one kind, so results
/// measured on one CPU are keyed by it.
/// </summary>
internal sealed record CpuIdentity(string Vendor, string ModelName, string Family, string Model, string Stepping, string Flags)
{
    /// <summary>This machine's CPU (fields "?" where <c>/proc/cpuinfo</c> is missing or says nothing).</summary>
    public static CpuIdentity Current { get; } = Read("/proc/cpuinfo");

    /// <summary>The first CPU described in a cpuinfo file; unknown fields are "?".</summary>
    internal static CpuIdentity Read(string path)
    {
        var fields = new Dictionary<string, string>();
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.Length == 0 && fields.Count > 0) break;
                int colon = line.IndexOf(':');
                if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        string Field(string name) => fields.TryGetValue(name, out var value) && value.Length > 0 ? value : "?";
        return new CpuIdentity(Field("vendor_id"), Field("model name"), Field("cpu family"), Field("model"), Field("stepping"), Field("flags"));
    }

    /// <summary>One line for people: model name, family, model and stepping, and the AVX-512 flags.</summary>
    public string Describe()
    {
        var avx512 = Flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(f => f.StartsWith("avx512", StringComparison.Ordinal));
        string vector = string.Join(' ', avx512);
        return $"{ModelName} ({Vendor}, family {Family}, model {Model}, stepping {Stepping}); {(vector.Length > 0 ? vector : "no AVX-512")}";
    }

    /// <summary>Everything that identifies the CPU, as one string (the key of per-CPU caches).</summary>
    public string Key => $"{Vendor}|{ModelName}|{Family}|{Model}|{Stepping}|{Flags}";
}
