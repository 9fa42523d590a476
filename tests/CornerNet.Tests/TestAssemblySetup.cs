using System.Runtime.CompilerServices;
using CornerNet.Runtime;

namespace CornerNet.Tests;

/// <summary>Applies the library's native settings before any test touches libtorch directly.</summary>
internal static class TestAssemblySetup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        LargeAllocationReuse.Apply();
        // Speed probes measured while tests run in parallel are noise: keep them out of the user's cache (they are
        // measured again in a folder of this run; an explicit CORNERNET_CACHE_DIR is respected).
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CORNERNET_CACHE_DIR"))) return;
        string cache = Path.Combine(Path.GetTempPath(), $"cornernet-tests-cache-{Environment.ProcessId}");
        Environment.SetEnvironmentVariable("CORNERNET_CACHE_DIR", cache);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(cache, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
    }
}
