using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CornerNet;

/// <summary>
/// Caps oneDNN (libtorch's CPU convolution library) at AVX2 before libtorch starts. On this project's AVX-512
/// machines (AMD EPYC with AVX-512, libtorch 2.10) oneDNN's AVX-512 float32 convolution backward-data kernel returns
/// wrong values and sometimes NaN on the first calls (measured: input-gradient norm 268.58 or NaN where float64 and the
/// AVX2 kernel both give 381.72), which silently breaks training. Capping the instruction set through
/// <c>ONEDNN_MAX_CPU_ISA=AVX2</c> gives correct gradients. oneDNN reads the variable once, from the native environment,
/// when it first runs — so it is set with libc's <c>setenv</c> (.NET's own environment is not seen by native code) as
/// soon as this assembly loads. A value the user set (ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA) is left alone.
/// </summary>
public static class OneDnnIsaCap
{
    /// <summary>The instruction-set cap applied when the user set none.</summary>
    public const string DefaultCap = "AVX2";

    static int _applied;

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>The cap in force for this process (null when none was set, e.g. on non-Linux systems).</summary>
    public static string? Current { get; private set; }

    // A library module initializer is intended here: the cap must be in place before any caller reaches libtorch.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => Apply();

    /// <summary>Sets the cap unless already set; call before the first libtorch operation (runs automatically on load).</summary>
    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        foreach (var name in new[] { "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA" })
        {
            IntPtr existing = GetEnv(name);
            if (existing != IntPtr.Zero)
            {
                Current = Marshal.PtrToStringAnsi(existing);
                return;
            }
        }
        if (SetEnv("ONEDNN_MAX_CPU_ISA", DefaultCap, 0) == 0) Current = DefaultCap;
    }
}
