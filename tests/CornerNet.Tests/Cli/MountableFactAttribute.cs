using System.Diagnostics;

namespace CornerNet.Tests.Cli;

/// <summary>
/// A test that mounts file systems (a small tmpfs, a bind mount): skipped, with the reason, where this process may
/// not mount (not Linux, not root, a container without the capability, no <c>mount</c> program).
/// </summary>
public sealed class MountableFactAttribute : FactAttribute
{
    static readonly Lazy<string?> Refusal = new(Probe);

    /// <summary>Sets Skip when mounting is not allowed here.</summary>
    public MountableFactAttribute()
    {
        if (Refusal.Value is string reason) Skip = reason;
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. "1m") on <paramref name="folder"/>.</summary>
    public static void MountTmpfs(string folder, string size) => Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", folder);

    /// <summary>Mounts <paramref name="source"/> again at <paramref name="target"/>.</summary>
    public static void Bind(string source, string target) => Run("mount", "--bind", source, target);

    /// <summary>Unmounts <paramref name="folder"/> (lazily, so that a leftover handle cannot keep it).</summary>
    public static void Unmount(string folder) => Run("umount", "-l", folder);

    static void Run(string program, params string[] arguments)
    {
        var (code, error) = Execute(program, arguments);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {error}");
    }

    static (int Code, string Error) Execute(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }

    static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "mounting a tmpfs or a bind mount is tested on Linux only";
        string folder = Directory.CreateTempSubdirectory("cornernet-mount-probe").FullName;
        try
        {
            var (code, error) = Execute("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder]);
            if (code != 0) return $"this process may not mount a tmpfs (mount said: {error}); run the tests as root to include it";
            Execute("umount", ["-l", folder]);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"the mount program cannot be run ({e.Message})";
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
