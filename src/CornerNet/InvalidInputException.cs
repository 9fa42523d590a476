namespace CornerNet;

/// <summary>
/// Bad input from a user: a missing, corrupt or malformed file, an unknown category, an out-of-range value.
/// The message is one line that names the file (when there is one) and the problem; the CLI prints it and exits with 2.
/// </summary>
public class InvalidInputException : Exception
{
    /// <summary>The offending file, or null when the problem is not about a file.</summary>
    public string? FilePath { get; }

    /// <summary>Creates the error; the message becomes "<paramref name="filePath"/>:
    /// <paramref name="problem"/>".</summary>
    public InvalidInputException(string? filePath, string problem, Exception? inner = null)
        : base(filePath is null ? problem : $"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
    }
}
