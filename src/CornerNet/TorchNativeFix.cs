using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace CornerNet;

/// <summary>
/// The run-time half of the native fix (build/TorchNativeFix.targets is the build-time half): TorchSharp 0.107's
/// libLibTorchSharp.so requires GLIBCXX_3.4.32 for one symbol it never calls, which Debian 12's libstdc++ lacks. A
/// package consumer's build marks that requirement weak (the package's buildTransitive targets); a consumer through a
/// <c>ProjectReference</c> imports no targets of ours, so when the library loads and LibTorchSharp does not, the
/// copy in the application's own folder is marked here, before TorchSharp first loads it.
/// </summary>
internal static class TorchNativeFix
{
    const string VersionName = "GLIBCXX_3.4.32";
    const string FileName = "libLibTorchSharp.so";

#pragma warning disable CA2255 // must run before the first TorchSharp call of any program that uses the library
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnLoad() => Apply();

    /// <summary>The file marked by this process, or null when nothing needed marking.</summary>
    public static string? Marked { get; private set; }

    static void Apply()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Loading it is what TorchSharp does first anyway; when that works there is nothing to fix.
        if (NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out _)) return;
        if (SymbolVersionRequirement.SystemLibstdcxxDefines(VersionName)) return;
        foreach (string path in ApplicationCopies())
        {
            // Never the NuGet cache or another shared folder: only the application's own copy, as the build step.
            try
            {
                if (SymbolVersionRequirement.MarkWeak(path, VersionName)) Marked = path;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // TorchSharp's own load error then names the library; this adds why it could not be fixed.
                Console.Error.WriteLine($"warning: could not mark {VersionName} weak in {path}: {e.Message}");
            }
        }
    }

    /// <summary>libLibTorchSharp.so in the native search folders the host gave this application, inside its own
    /// folder.</summary>
    static IEnumerable<string> ApplicationCopies()
    {
        string baseDirectory = Path.GetFullPath(AppContext.BaseDirectory);
        var folders = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(baseDirectory)
            .Select(Path.GetFullPath)
            .Where(f => f.StartsWith(baseDirectory, StringComparison.Ordinal))
            .Distinct();
        foreach (string folder in folders)
        {
            string path = Path.Combine(folder, FileName);
            if (File.Exists(path)) yield return path;
        }
    }
}
