using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CornerNet;

/// <summary>
/// Lets glibc's malloc reuse large blocks instead of mapping fresh pages for each. By default glibc serves blocks over
/// 32 MiB (and, until the dynamic threshold has grown, smaller ones) with their own <c>mmap</c> and unmaps them on free,
/// so every such tensor costs one page fault per 4 KiB page plus the kernel's zeroing. A 2×256×128×128 float32
/// feature map — every hourglass activation at 511×511 with a batch of two — is exactly 32 MiB, so the flip batch and
/// training at batch ≥ 2 paid that on every layer (measured: 8,193 page faults per such tensor, about 390,000 per
/// flip-batch forward; none with this setting). This raises the mmap threshold to 1 GiB and turns off trimming of the
/// heap top, once, when the assembly loads: with trimming at 1 GiB a training step still returned its multi-GiB peak to
/// the kernel at its end and faulted it back in the next step (HG-104, batch 2 at 511: 1.4 M page faults and 33 s per
/// step; without trimming 20 s). The process keeps its peak tensor memory mapped — flat, at the peak, over a long run —
/// instead of returning it between layers and steps. Only on Linux with glibc; a threshold the user set
/// (<c>MALLOC_MMAP_THRESHOLD_</c>, or <c>GLIBC_TUNABLES</c>) is left alone.
/// </summary>
public static class LargeAllocationReuse
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
