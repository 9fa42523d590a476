using System.Runtime.InteropServices;

namespace CornerNet;

/// <summary>
/// What a path names, whatever its spelling: on Linux the device and inode number (<c>statx</c>), so that a symbolic
/// link on any component, a hard link and a bind mount all meet the same file or folder; elsewhere the path with every
/// symbolic link resolved. Outputs are compared with inputs by it, never by their paths.
/// </summary>
internal readonly record struct FileIdentity(string Key)
{
    /// <summary>The identity of the file or folder at <paramref name="path"/> (links followed), or null when nothing
    /// is there.</summary>
    public static FileIdentity? Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            var (available, key) = DeviceAndInode(path);
            if (available) return key is null ? null : new FileIdentity(key);
        }
        return ResolvedPath(path) is string resolved ? new FileIdentity(resolved) : null;
    }

    /// <summary>
    /// Whether <paramref name="path"/> (which need not exist) is <paramref name="folder"/> itself or lies anywhere
    /// below it, through links and bind mounts.
    /// </summary>
    public static bool IsWithin(string path, string folder)
    {
        if (Of(folder) is not FileIdentity target) return false;
        var (place, enclosing) = Places(path);
        return place == target.Key || enclosing.Contains(target.Key);
    }

    /// <summary>
    /// Where <paramref name="path"/> (which need not exist) is, as keys that two spellings of one place share: the
    /// place itself, and every folder that encloses it. An existing file or folder is its identity; a missing one is
    /// the identity of its nearest existing folder and the names below it. The enclosing folders are the real ones:
    /// parents are taken as the system takes them (<c>P/..</c> after P's links are followed), not as spelled.
    /// </summary>
    public static (string Place, IReadOnlyList<string> Enclosing) Places(string path)
    {
        string current = Path.GetFullPath(path);
        var missing = new List<string>();
        FileIdentity? existing;
        // A missing name is not a link: its spelled parent is its real one.
        while ((existing = Of(current)) is null && Path.GetDirectoryName(current) is string parent)
        {
            missing.Insert(0, Path.GetFileName(current));
            current = parent;
        }
        var enclosing = new List<string>();
        FileIdentity? previous = null;
        // Bounded like the kernel's own walk; the root is its own parent.
        for (int depth = 0; depth < 4096 && Of(current) is FileIdentity id && id != previous; depth++)
        {
            enclosing.Add(id.Key);
            previous = id;
            current = Path.Combine(current, "..");
        }
        string root = existing?.Key ?? "";
        for (int k = 1; k <= missing.Count; k++) enclosing.Insert(0, root + "/" + string.Join('/', missing.Take(k)));
        // The first entry is the place itself: the missing path, or the existing file or folder.
        string place = enclosing.Count > 0 ? enclosing[0] : root;
        return (place, enclosing.Skip(1).ToList());
    }

    /// <summary>(true, "device:inode") or (true, null) when nothing is there; (false, null) when statx is not
    /// available (then the resolved path serves).</summary>
    static (bool Available, string? Key) DeviceAndInode(string path)
    {
        try
        {
            var buffer = new StatxBuffer();
            if (Statx(AtCurrentFolder, path, 0, StatxBasicStats, ref buffer) == 0)
                return (true, $"{buffer.DevMajor}:{buffer.DevMinor}:{buffer.Inode}");
            // Not there, a dangling link or an unreadable folder on the way: not a file this command can read either.
            return (true, null);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return (false, null);
        }
    }

    /// <summary>The absolute path with the symbolic links of every component followed (in the system's order, so
    /// <c>LINK/..</c> is the parent of LINK's target), or null when it does not exist.</summary>
    static string? ResolvedPath(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Names(full[root.Length..]).Reverse());
        string current = root;
        for (int links = 0; pending.Count > 0;)
        {
            string name = pending.Pop();
            if (name == ".") continue;
            if (name == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string next = Path.Combine(current, name);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists) return null;
            if (info.LinkTarget is string target)
            {
                if (++links > 40) return null;
                string targetFull = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                string targetRoot = Path.GetPathRoot(targetFull)!;
                foreach (string part in Names(targetFull[targetRoot.Length..]).Reverse()) pending.Push(part);
                current = targetRoot;
                continue;
            }
            current = next;
        }
        return current;
    }

    static string[] Names(string relative) =>
        relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

    const int AtCurrentFolder = -100;
    const uint StatxBasicStats = 0x7ff;

    /// <summary>The fields of Linux's <c>struct statx</c> used here; its layout is the same on every
    /// architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    struct StatxBuffer
    {
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        ref StatxBuffer buffer);
}
