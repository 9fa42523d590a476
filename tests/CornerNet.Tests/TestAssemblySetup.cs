using System.Runtime.CompilerServices;

namespace CornerNet.Tests;

/// <summary>Applies the library's native settings before any test touches libtorch directly.</summary>
internal static class TestAssemblySetup
{
    [ModuleInitializer]
    internal static void Initialize() => LargeAllocationReuse.Apply();
}
