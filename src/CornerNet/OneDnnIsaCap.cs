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
/// <para>
/// The AVX-512 forward kernels are correct and about 1.8× faster, so a process that only runs inference (no backward
/// pass, ever) may opt out of the cap with <see cref="AllowFullIsaForInference"/> before its first convolution, or by
/// starting with <c>ONEDNN_MAX_CPU_ISA=AVX512_CORE</c> in its environment. The <c>cornernet</c> inference commands do
/// the former.
/// </para>
/// </summary>
public static class OneDnnIsaCap
{
    /// <summary>The instruction-set cap applied when the user set none.</summary>
    public const string DefaultCap = "AVX2";

    const string VariableName = "ONEDNN_MAX_CPU_ISA";

    static readonly Lock Gate = new();
    static bool _applied;
    static bool _setHere;

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "unsetenv")]
    static extern int UnsetEnv(string name);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>The cap in force for this process (null when none was set, e.g. on non-Linux systems, or after <see cref="AllowFullIsaForInference"/>).</summary>
    public static string? Current { get; private set; }

    /// <summary>Whether <see cref="AllowFullIsaForInference"/> removed the default cap in this process (backward passes are then unsafe).</summary>
    public static bool IsLifted { get; private set; }

    // A library module initializer is intended here: the cap must be in place before any caller reaches libtorch.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => Apply();

    /// <summary>Sets the cap unless already set; call before the first libtorch operation (runs automatically on load).</summary>
    public static void Apply()
    {
        lock (Gate) ApplyOnce();
    }

    static void ApplyOnce()
    {
        if (_applied) return;
        _applied = true;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        foreach (var name in new[] { VariableName, "DNNL_MAX_CPU_ISA" })
        {
            IntPtr existing = GetEnv(name);
            if (existing != IntPtr.Zero)
            {
                Current = Marshal.PtrToStringAnsi(existing);
                return;
            }
        }
        if (SetEnv(VariableName, DefaultCap, 0) == 0)
        {
            Current = DefaultCap;
            _setHere = true;
        }
    }

    /// <summary>
    /// Removes the cap this class set, so that oneDNN uses every instruction set of the CPU (AVX-512 where present):
    /// faster inference, but WRONG convolution input gradients on the affected machines — call it only in a process
    /// that never trains or runs a backward pass, and before its first convolution (oneDNN reads the setting once; a
    /// later call has no effect on the running process). A cap the user set in the environment is kept. Returns true when
    /// the default cap is lifted (<see cref="Current"/> is then null), false when the user's own setting stands or the
    /// platform has no cap.
    /// </summary>
    public static bool AllowFullIsaForInference()
    {
        lock (Gate)
        {
            ApplyOnce();
            if (!_setHere) return IsLifted;
            if (UnsetEnv(VariableName) != 0) return false;
            _setHere = false;
            Current = null;
            IsLifted = true;
            return true;
        }
    }
}
