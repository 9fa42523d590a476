namespace CornerNet.Cli.Commands;

/// <summary>
/// Holds a run folder for one writer: an OS-level exclusive lock on <c>.lock</c> inside it, released (and the file
/// removed) on dispose or when the process ends. A second writer gets one line naming the folder (exit 2). A folder
/// this lock created is removed again if the command left nothing in it.
/// </summary>
internal sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the run folder.</summary>
    public const string FileName = ".lock";

    readonly FileStream _stream;
    readonly string _folder;
    readonly bool _createdFolder;

    RunFolderLock(FileStream stream, string folder, bool createdFolder)
    {
        _stream = stream;
        _folder = folder;
        _createdFolder = createdFolder;
    }

    /// <summary>Locks <paramref name="folder"/>, creating it if needed.</summary>
    public static RunFolderLock Take(string folder)
    {
        string full = Path.GetFullPath(folder);
        OutputCheck.Writable(full, full);
        bool created = !Directory.Exists(full);
        try
        {
            Directory.CreateDirectory(full);
            // FileShare.None is an exclusive flock on Unix and a share-mode lock on Windows; the OS drops it if the
            // process dies.
            var stream = new FileStream(Path.Combine(full, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return new RunFolderLock(stream, full, created);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bool inUse = File.Exists(Path.Combine(full, FileName));
            if (created) RemoveIfEmpty(full);
            throw new InvalidInputException(full, inUse
                ? "is in use by another cornernet process (its .lock is held); wait for it to finish or choose another folder"
                : $"cannot be written ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        _stream.Dispose();
        if (_createdFolder) RemoveIfEmpty(_folder);
    }

    static void RemoveIfEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (IOException)
        {
            // Another process wrote into it meanwhile: it stays.
        }
    }
}
