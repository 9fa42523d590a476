using System.CommandLine;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Checks a command's outputs before any work starts: an output is never one of the inputs, an existing output is
/// replaced only with <c>--overwrite</c>, a run folder is written into only when empty (or with <c>--overwrite</c>),
/// and the folder that will receive each output accepts a new file. Every refusal is one line naming the path (exit 2).
/// </summary>
internal static class OutputCheck
{
    /// <summary>The <c>--overwrite</c> option of a command that writes files.</summary>
    public static Option<bool> OverwriteOption(string what = "existing output files") =>
        new("--overwrite") { Description = $"Replace {what} (inputs are never overwritten)." };

    /// <summary>Checks the output files <paramref name="outputs"/> (null entries are skipped) against
    /// <paramref name="inputs"/>.</summary>
    public static void Files(bool overwrite, IEnumerable<string?> inputs, params string?[] outputs)
    {
        var inputPaths = inputs.Where(i => i is not null).Select(i => Resolved(i!)).ToHashSet();
        var seen = new HashSet<string>();
        foreach (string? output in outputs)
        {
            if (output is null) continue;
            string full = Path.GetFullPath(output);
            if (inputPaths.Contains(Resolved(full))) throw new InvalidInputException(full, "is an input of this command; it is never overwritten (choose another output)");
            if (!seen.Add(full)) throw new InvalidInputException(full, "is given as two different outputs");
            if (Directory.Exists(full)) throw new InvalidInputException(full, "is a folder; give a file name");
            if (File.Exists(full) && !overwrite) throw new InvalidInputException(full, "already exists; --overwrite replaces it");
            Writable(Path.GetDirectoryName(full)!, full);
        }
    }

    /// <summary>
    /// Checks a run or dataset folder: absent or empty (a lock file aside), or <paramref name="overwrite"/>; and
    /// writable.
    /// </summary>
    public static void Folder(string folder, bool overwrite)
    {
        string full = Path.GetFullPath(folder);
        if (File.Exists(full)) throw new InvalidInputException(full, "is a file; give a folder");
        if (!overwrite && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any(e => Path.GetFileName(e) != RunFolderLock.FileName))
            throw new InvalidInputException(full, "already exists and is not empty; choose another folder, or --overwrite writes into it");
        Writable(full, full);
    }

    /// <summary>The nearest existing folder on the way to <paramref name="folder"/> accepts a new file (a probe is made
    /// and removed).</summary>
    internal static void Writable(string folder, string target)
    {
        string existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new InvalidInputException(target, $"cannot be written: {existing} is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new InvalidInputException(target, "cannot be written: no existing folder on its path");
        }
        string probe = Path.Combine(existing, $".cornernet-probe-{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InvalidInputException(target, $"cannot be written: folder {existing} does not accept new files ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The path with symbolic links followed, so that a link to an input counts as that input.</summary>
    static string Resolved(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            return File.Exists(full) ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full : full;
        }
        catch (IOException)
        {
            return full;
        }
    }
}
