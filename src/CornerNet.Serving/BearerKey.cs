using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace CornerNet.Serving;

/// <summary>
/// The server's API key: checks a request's <c>Authorization: Bearer KEY</c> header, and reads the key from a file
/// or an environment variable for <c>cornernet serve</c>.
/// </summary>
internal sealed class BearerKey
{
    /// <summary>Longest accepted key file; a key is a line, not a document.</summary>
    internal const int MaxFileBytes = 4096;

    // The SHA-256 digests are compared, not the keys: FixedTimeEquals returns at once on a length difference, and
    // digests have one length whatever was sent.
    readonly byte[] _digest;

    internal BearerKey(string key) => _digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Why a key is unusable (to follow "the API key …"), or null when it is fine.</summary>
    internal static string? Problem(string key)
    {
        if (key.Length == 0) return "is empty";
        if (key.Any(c => c is < '!' or > '~'))
            return "must be one line of printable ASCII without spaces (e.g. from 'openssl rand -hex 32')";
        return null;
    }

    /// <summary>Null when <paramref name="authorization"/> (the request's header values) carries the key; else the
    /// one-line reason for the 401, which never repeats what was sent.</summary>
    internal string? Refusal(StringValues authorization)
    {
        if (authorization.Count == 0)
            return "this server requires an API key: send the header 'Authorization: Bearer KEY'";
        if (authorization.Count > 1) return "send one Authorization header, not several";
        string value = authorization[0] ?? "";
        // The scheme name is case-insensitive (RFC 9110, section 11.1).
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return "the Authorization header must be 'Bearer KEY'";
        byte[] sent = SHA256.HashData(Encoding.UTF8.GetBytes(value["Bearer ".Length..].Trim(' ')));
        return CryptographicOperations.FixedTimeEquals(sent, _digest) ? null : "wrong API key";
    }

    /// <summary>Reads the key from <paramref name="path"/>: a regular file holding the key on one line (one trailing
    /// newline allowed). Throws <see cref="InvalidInputException"/> naming the file otherwise.</summary>
    internal static string ReadFile(string path)
    {
        if (Directory.Exists(path)) throw new InvalidInputException(path, "is a directory, not an API key file");
        if (!File.Exists(path)) throw new InvalidInputException(path, "API key file not found");
        var info = new FileInfo(path);
        // FIFOs, sockets and devices report length 0, like an empty file: both are refused before opening, which
        // would block on a FIFO.
        if (info.Length == 0)
            throw new InvalidInputException(path, "the API key file is empty or not a regular file");
        if (info.Length > MaxFileBytes)
            throw new InvalidInputException(path, $"the API key file is over {MaxFileBytes} bytes; it holds one key");
        var bytes = new byte[MaxFileBytes + 1];
        int count;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            count = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        }
        catch (UnauthorizedAccessException)
        {
            throw new InvalidInputException(path, "the API key file cannot be read (permission denied)");
        }
        if (count > MaxFileBytes)
            throw new InvalidInputException(path, $"the API key file is over {MaxFileBytes} bytes; it holds one key");
        return FromText(Encoding.Latin1.GetString(bytes, 0, count), path);
    }

    /// <summary>The key in <paramref name="text"/> (a file's content or an environment variable's value) without its
    /// trailing newline; throws <see cref="InvalidInputException"/> naming <paramref name="source"/> when it is not
    /// usable.</summary>
    internal static string FromText(string text, string source)
    {
        string key = text.TrimEnd('\n', '\r');
        if (Problem(key) is string problem) throw new InvalidInputException(source, $"the API key {problem}");
        return key;
    }

    /// <summary>Whether every user of this machine may read <paramref name="path"/> (always false on
    /// Windows).</summary>
    internal static bool IsReadableByOthers(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0;
}
