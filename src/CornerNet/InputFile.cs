using System.Runtime.InteropServices;

namespace CornerNet;

/// <summary>
/// A file given as input: it must be a regular file, checked by name before it is opened (opening a FIFO for reading
/// blocks until a writer comes, forever in a script; a device has no end; a folder cannot be read), and its bytes are
/// read within a limit counted on what is read, not on the size the file system reports (which is 0 for pipes and
/// devices, and stale for a file that grows).
/// </summary>
internal static class InputFile
{
    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming <paramref name="path"/> when it is a folder, a FIFO, a device
    /// or a socket (symbolic links are followed). A missing path passes: callers say "not found" in their own words.
    /// </summary>
    public static void RequireRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidInputException(path, "is a directory, not a file");
        if (OperatingSystem.IsLinux())
        {
            if (LinuxFileType(path) is string kind)
                throw new InvalidInputException(path, $"is {kind}, not a regular file; {Remedy}");
        }
        else if (OperatingSystem.IsWindows() && File.Exists(path)
                 && File.GetAttributes(path).HasFlag(FileAttributes.Device))
        {
            throw new InvalidInputException(path, $"is a device, not a regular file; {Remedy}");
        }
    }

    const string Remedy = "save the data to a file and give that";

    /// <summary>Opens <paramref name="path"/> for reading after <see cref="RequireRegular"/>.</summary>
    public static FileStream OpenRead(string path)
    {
        RequireRegular(path);
        return File.OpenRead(path);
    }

    /// <summary>
    /// The bytes of <paramref name="path"/>, at most <paramref name="limit"/> of them: reading stops one byte past the
    /// limit and throws <see cref="InvalidInputException"/> naming the file and <paramref name="limitName"/>, whatever
    /// size the file system reported.
    /// </summary>
    public static byte[] ReadAllBytes(string path, long limit, string limitName)
    {
        limit = Math.Min(limit, Array.MaxLength);
        using var stream = OpenRead(path);
        long reported = stream.Length;
        if (reported > limit) throw TooLarge(path, $"{reported} bytes", limit, limitName);
        // The reported size is a good first capacity for a regular file; reading goes on past it if the file grew.
        var buffer = new byte[Math.Max(reported, 0)];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                // Full: one more byte tells whether the file goes on (it grew, or its size was not reported).
                int next = stream.ReadByte();
                if (next < 0) return buffer;
                if (length == limit) throw TooLarge(path, $"more than {limit} bytes", limit, limitName);
                Array.Resize(ref buffer, (int)Math.Min(limit, Math.Max(2L * length, length + 65536L)));
                buffer[length++] = (byte)next;
                continue;
            }
            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0) break;
            length += read;
        }
        if (length != buffer.Length) Array.Resize(ref buffer, length);
        return buffer;
    }

    /// <summary>
    /// The text of <paramref name="path"/>, which must be UTF-8 (a byte-order mark is dropped), read within
    /// <paramref name="limit"/> bytes as <see cref="ReadAllBytes"/> does.
    /// </summary>
    public static string ReadAllText(string path, long limit, string limitName)
    {
        var bytes = ReadAllBytes(path, limit, limitName);
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        RequireUtf8(bytes.AsSpan(start), start, path);
        return System.Text.Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    /// <summary>Throws <see cref="InvalidInputException"/> naming <paramref name="path"/>, the byte offset (counted
    /// from the file's start, <paramref name="offset"/> bytes before <paramref name="text"/>) and the line of the
    /// first byte that is not UTF-8 (JSON readers check it only when a string is read, and then fail without a
    /// position; a text decoder would replace it silently).</summary>
    public static void RequireUtf8(ReadOnlySpan<byte> text, int offset, string path)
    {
        if (System.Text.Unicode.Utf8.IsValid(text)) return;
        Span<char> chars = stackalloc char[4096];
        int position = 0;
        while (true)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(text[position..], chars, out int read, out _,
                replaceInvalidSequences: false, isFinalBlock: true);
            position += read;
            if (status != System.Buffers.OperationStatus.DestinationTooSmall) break;
        }
        int line = text[..position].Count((byte)'\n') + 1;
        throw new InvalidInputException(path, $"not UTF-8: byte 0x{text[position]:X2} at byte offset " +
            $"{offset + position} (line {line}) is not valid UTF-8; save the file as UTF-8");
    }

    /// <summary>
    /// Runs <paramref name="read"/>, which reads <paramref name="path"/>; running out of managed memory in it becomes
    /// an <see cref="InvalidInputException"/> naming the file and its size, so a program reports what it was reading.
    /// </summary>
    public static T Reading<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (OutOfMemoryException e)
        {
            string size = File.Exists(path) ? $" ({new FileInfo(path).Length} bytes)" : "";
            throw new InvalidInputException(path, $"out of memory while reading this file{size}; free memory, or " +
                "give a smaller file", e);
        }
    }

    static InvalidInputException TooLarge(string path, string size, long limit, string limitName) =>
        new(path, $"file is {size}, above the limit of {limit} bytes ({limitName})");

    // Linux file types (stat's S_IFMT bits) and statx arguments: AT_FDCWD resolves a relative path against the
    // working folder; flags 0 follows symbolic links; STATX_TYPE asks for the type alone.
    const int AtFdCwd = -100, StatxType = 0x1, StatxModeOffset = 28, StatxSize = 256;
    const int TypeMask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern unsafe int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags,
        uint mask, byte* buffer);

    /// <summary>What a non-regular, non-folder entry is ("a FIFO (named pipe)", …), or null for a regular file, a
    /// missing path, or when statx is unavailable (then opening decides).</summary>
    static unsafe string? LinuxFileType(string path)
    {
        // statx's layout is the same on every Linux architecture, unlike struct stat.
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        int mode = *(ushort*)(buffer + StatxModeOffset);
        return (mode & TypeMask) switch
        {
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            _ => null,
        };
    }
}
