using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CornerNet.Runtime;

/// <summary>Lets glibc's malloc reuse large blocks instead of mapping fresh pages for each (why and measurements:
/// docs/NATIVE.md).</summary>
internal static class LargeAllocationReuse
{
    /// <summary>Blocks below this size come from the reusable heap.</summary>
    public const int MmapThreshold = 1 << 30;

    const int MallocTrimThreshold = -1;
    const int MallocMmapThreshold = -3;
    // glibc reads −1 as the largest size: the heap top is never trimmed.
    const int NeverTrim = -1;

    static int _applied;

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    /// <summary>Whether the setting is in force in this process.</summary>
    public static bool IsApplied { get; private set; }

    // A library module initializer is intended here: the setting should be in place before the first large tensor.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => Apply();

    /// <summary>Applies the setting unless already applied or set by the user (runs automatically on load).</summary>
    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return;
        if (!OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") != null
            || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("mmap_threshold", StringComparison.Ordinal) ?? false))
            return;
        try
        {
            // Trim first: setting either value also turns off glibc's dynamic threshold, which is what is wanted.
            IsApplied = MallOpt(MallocTrimThreshold, NeverTrim) == 1 && MallOpt(MallocMmapThreshold, MmapThreshold) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }
}
