namespace CornerNet.Cli.Commands;

/// <summary>
/// A path's real identity: absolute, with every symbolic link on the way followed (as realpath(3) does), so that a
/// folder reached through a link compares equal to the folder itself. Components that do not exist yet are kept as
/// given. Used to keep a run folder apart from the data it reads.
/// </summary>
internal static class RealPath
{
    // Linux's own bound on links followed while resolving one path (MAXSYMLINKS).
    const int MaxLinks = 40;

    /// <summary>The real path of <paramref name="path"/>.</summary>
    public static string Of(string path)
    {
        int links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    /// <summary>True when the real paths of <paramref name="a"/> and <paramref name="b"/> are the same, or one lies
    /// inside the other.</summary>
    public static bool Overlap(string a, string b)
    {
        string realA = Of(a), realB = Of(b);
        return IsSameOrInside(realA, realB) || IsSameOrInside(realB, realA);
    }

    /// <summary>
    /// Refuses (one line, exit 2) a run folder that is, contains or lies inside one of <paramref name="inputs"/>
    /// (folders; null entries are skipped): the run's files would mix with, or replace, the data.
    /// </summary>
    public static void RefuseOverlap(string runFolder, string option, IEnumerable<(string? Folder, string What)> inputs)
    {
        foreach (var (folder, what) in inputs)
        {
            if (folder is null || !Overlap(runFolder, folder)) continue;
            string real = Of(folder);
            throw new InvalidInputException(Path.GetFullPath(runFolder), $"{option} overlaps the {what} {real}: an " +
                "output folder may not be, contain or lie inside an input folder; choose a folder outside the data");
        }
    }

    static bool IsSameOrInside(string path, string folder)
    {
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        string trimmedFolder = Path.TrimEndingDirectorySeparator(folder);
        string trimmedPath = Path.TrimEndingDirectorySeparator(path);
        // The root keeps its separator after trimming ("/"); any other folder gets one, so /data is not inside /dat.
        string prefix = trimmedFolder.EndsWith(Path.DirectorySeparatorChar) ? trimmedFolder : trimmedFolder + Path.DirectorySeparatorChar;
        return trimmedPath.Equals(trimmedFolder, comparison) || trimmedPath.StartsWith(prefix, comparison);
    }

    static string Resolve(string full, ref int links)
    {
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is string target)
            {
                if (++links > MaxLinks) throw new InvalidInputException(full, "has too many levels of symbolic links");
                // A relative target is relative to the link's folder; the target may itself pass through links.
                next = Resolve(Path.GetFullPath(target, current), ref links);
            }
            else if (!info.Exists)
            {
                // The rest does not exist yet: nothing more to follow.
                return Path.Combine([next, .. parts[(i + 1)..]]);
            }
            current = next;
        }
        return current;
    }
}
