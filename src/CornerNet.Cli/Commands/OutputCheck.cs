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

    /// <summary>
    /// Checks the output files <paramref name="outputs"/> (null entries are skipped) against
    /// <paramref name="inputs"/> and against one another, by what the paths name (<see cref="FileIdentity"/>), not
    /// by their spelling: an output reached through a link, a hard link or a bind mount of an input is that input, and
    /// two outputs that are one file, or a file and the folder of another, are refused before any work.
    /// </summary>
    public static void Files(bool overwrite, IEnumerable<string?> inputs, params string?[] outputs)
    {
        var inputIdentities = inputs.OfType<string>().Select(FileIdentity.Of).OfType<FileIdentity>().ToHashSet();
        var places = new Dictionary<string, string>();
        var enclosing = new Dictionary<string, string>();
        foreach (string? output in outputs)
        {
            if (output is null) continue;
            string full = Path.GetFullPath(output);
            if (FileIdentity.Of(full) is FileIdentity identity && inputIdentities.Contains(identity))
                throw new InvalidInputException(full, "is an input of this command; it is never overwritten (choose another output)");
            var (place, folders) = FileIdentity.Places(full);
            if (places.TryGetValue(place, out string? same))
                throw new InvalidInputException(full, same == full ? "is given as two different outputs" : $"is given as two different outputs (also as {same})");
            if (enclosing.TryGetValue(place, out string? inside))
                throw new InvalidInputException(full, $"is given as an output file and as the folder of another output ({inside})");
            foreach (string folder in folders)
                if (places.TryGetValue(folder, out string? file))
                    throw new InvalidInputException(file, $"is given as an output file and as the folder of another output ({full})");
            places[place] = full;
            foreach (string folder in folders) enclosing.TryAdd(folder, full);
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

    /// <summary>
    /// Refuses (one line, exit 2) a run folder that is, contains or lies inside one of <paramref name="inputs"/>
    /// (folders; null entries are skipped), compared by identity: the run's files would mix with, or replace, the data.
    /// </summary>
    public static void FolderApartFrom(string runFolder, string option, IEnumerable<(string? Folder, string What)> inputs)
    {
        foreach (var (folder, what) in inputs)
        {
            if (folder is null || !(FileIdentity.IsWithin(runFolder, folder) || FileIdentity.IsWithin(folder, runFolder)))
                continue;
            throw new InvalidInputException(Path.GetFullPath(runFolder), $"{option} overlaps the {what} " +
                $"{Path.GetFullPath(folder)}: an output folder may not be, contain or lie inside an input folder; " +
                "choose a folder outside the data");
        }
    }
}
