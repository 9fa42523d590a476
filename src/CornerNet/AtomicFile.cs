namespace CornerNet;

/// <summary>
/// Writes files so that readers never see a partial one and an existing file is replaced only by a complete new one:
/// the content goes to a temporary name beside the target (its folder created if needed, see
/// <see cref="TemporaryFiles"/>), which is then renamed. A write that fails (a full disk, a quota, an I/O error)
/// removes its temporary file, leaves the previous file as it was, and is reported as one line naming the file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, which receives the temporary file's
    /// stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temporary = WriteTemporary(full, write);
        try
        {
            Commit(temporary, full);
        }
        finally
        {
            TemporaryFiles.Discard(temporary);
        }
    }

    /// <summary>
    /// Writes the content of <paramref name="path"/> under a new temporary name beside it and returns that name:
    /// <see cref="Commit"/> puts it in place, <see cref="TemporaryFiles.Discard"/> removes it. For a set of files
    /// that replace their predecessors only together.
    /// </summary>
    public static string WriteTemporary(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temporary;
        FileStream stream;
        try
        {
            (temporary, stream) = TemporaryFiles.Create(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(full, e);
        }
        try
        {
            // Disposed inside: the last buffered bytes reach the disk here, and can fail here.
            using (stream) write(stream);
            return temporary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.Discard(temporary);
            throw CannotWrite(full, e);
        }
        catch
        {
            TemporaryFiles.Discard(temporary);
            throw;
        }
    }

    /// <summary>Renames <paramref name="temporary"/> (from <see cref="WriteTemporary"/>) to
    /// <paramref name="path"/>.</summary>
    public static void Commit(string temporary, string path)
    {
        try
        {
            TemporaryFiles.Commit(temporary, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(Path.GetFullPath(path), e);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>One line naming the file and the system's reason ("No space left on device"), without the temporary
    /// name the system quotes.</summary>
    static InvalidInputException CannotWrite(string path, Exception e)
    {
        string reason = e.Message.Split('\n')[0];
        int quoted = reason.IndexOf(" : '", StringComparison.Ordinal);
        if (quoted > 0) reason = reason[..quoted];
        return new InvalidInputException(path,
            $"cannot be written: {reason.TrimEnd('.')}; the previous file, if any, is unchanged", e);
    }
}
