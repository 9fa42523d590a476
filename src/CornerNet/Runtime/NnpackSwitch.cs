using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CornerNet.Runtime;

/// <summary>
/// Turns libtorch's NNPACK convolution path off, as PyTorch's <c>torch.backends.nnpack.set_flags(False)</c> does. On
/// CPUs NNPACK does not support (all of this project's machines) libtorch otherwise tries it before every eligible
/// convolution and prints "Could not initialize NNPACK! Reason: Unsupported hardware." hundreds of times per training
/// run. TorchSharp has no binding for the flag, so the two exported C++ functions are called directly.
/// </summary>
internal static class NnpackSwitch
{
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledNnpack(IntPtr context);

    // Runs when the assembly loads, so no convolution ever asks for NNPACK.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => Disable();

    /// <summary>Whether libtorch may use NNPACK (null when the flag cannot be reached, e.g. another libtorch
    /// build).</summary>
    public static bool? Enabled
    {
        get
        {
            try { return UserEnabledNnpack(GlobalContext()); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        }
    }

    /// <summary>Disables NNPACK; does nothing when the libtorch build does not export the flag.</summary>
    public static void Disable()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { SetUserEnabledNnpack(GlobalContext(), false); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
}
