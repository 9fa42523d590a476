using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CornerNet.Data;

namespace CornerNet.Tests.Foundation;

/// <summary>
/// Issue 27, special files and streams, in the library: an input that is not a regular file (folder, FIFO, device,
/// socket) is refused by name before it is opened, limits count the bytes read rather than the reported size, and
/// JSON that is not UTF-8 is refused with its byte offset.
/// </summary>
public sealed class InputFileTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-inputfile").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    string P(string name) => Path.Combine(_root, name);

    /// <summary>Makes a FIFO with mkfifo(1).</summary>
    internal static string MakeFifo(string path)
    {
        using var process = Process.Start("mkfifo", [path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return path;
    }

    [LinuxFact]
    public void AFifoIsRefusedByNameWithoutOpeningIt()
    {
        string fifo = MakeFifo(P("images.json"));
        // Opening a FIFO for reading blocks until a writer comes: a regression would hang here, so it runs on the
        // pool and is released by opening the write end if it has not returned.
        var check = Task.Run(() => Assert.Throws<InvalidInputException>(() => InputFile.OpenRead(fifo).Dispose()));
        if (!check.Wait(TimeSpan.FromSeconds(30)))
        {
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            Assert.Fail("opening a FIFO for reading blocked");
        }
        Assert.Equal($"{fifo}: is a FIFO (named pipe), not a regular file; save the data to a file and give that",
            check.Result.Message);
    }

    [LinuxFact]
    public void ACharacterDeviceIsRefused()
    {
        var e = Assert.Throws<InvalidInputException>(() => InputFile.RequireRegular("/dev/zero"));
        Assert.StartsWith("/dev/zero: is a character device, not a regular file", e.Message);
    }

    [LinuxFact]
    public void ASocketIsRefused()
    {
        string path = P("socket.png");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        var e = Assert.Throws<InvalidInputException>(() => InputFile.RequireRegular(path));
        Assert.StartsWith($"{path}: is a socket, not a regular file", e.Message);
    }

    [Fact]
    public void AFolderIsADirectoryNotAccessDenied()
    {
        string folder = Directory.CreateDirectory(P("x.jpg")).FullName;
        var e = Assert.Throws<InvalidInputException>(() => ImageDecoder.Decode(folder));
        Assert.Equal($"{folder}: is a directory, not a file", e.Message);
    }

    [LinuxFact]
    public void ASymbolicLinkToARegularFileIsAccepted()
    {
        string target = P("real.json");
        File.WriteAllText(target, "[]");
        string link = P("link.json");
        File.CreateSymbolicLink(link, target);
        InputFile.RequireRegular(link);
        Assert.Equal("[]"u8.ToArray(), InputFile.ReadAllBytes(link, 100, "test limit"));
    }

    [Fact]
    public void AMissingPathIsLeftToTheCallersNotFoundMessage()
    {
        InputFile.RequireRegular(P("missing.json"));
        var e = Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(P("missing.json")));
        Assert.Equal($"{P("missing.json")}: file not found", e.Message);
    }

    [Fact]
    public void AFileOfExactlyTheLimitIsReadAndOneByteMoreIsRefused()
    {
        File.WriteAllBytes(P("a"), new byte[100]);
        Assert.Equal(100, InputFile.ReadAllBytes(P("a"), 100, "test limit").Length);
        File.WriteAllBytes(P("b"), new byte[101]);
        var e = Assert.Throws<InvalidInputException>(() => InputFile.ReadAllBytes(P("b"), 100, "test limit"));
        Assert.Equal($"{P("b")}: file is 101 bytes, above the limit of 100 bytes (test limit)", e.Message);
    }

    [LinuxFact]
    public void TheLimitCountsBytesReadNotTheReportedSize()
    {
        // /proc files are regular files that report a size of 0 and hold more: like a file that grows while read.
        const string maps = "/proc/self/maps";
        Assert.Equal(0, new FileInfo(maps).Length);
        Assert.True(InputFile.ReadAllBytes(maps, 1 << 24, "test limit").Length > 64);
        var e = Assert.Throws<InvalidInputException>(() => InputFile.ReadAllBytes(maps, 64, "test limit"));
        Assert.Equal($"{maps}: file is more than 64 bytes, above the limit of 64 bytes (test limit)", e.Message);
        var json = Assert.Throws<InvalidInputException>(() =>
            CocoAnnotationFile.Read(maps, new InputLimits { MaxJsonBytes = 64 }));
        Assert.Contains("above the limit of 64 bytes (InputLimits.MaxJsonBytes)", json.Message);
    }

    [Fact]
    public void JsonThatIsNotUtf8IsRefusedWithItsByteOffsetAndLine()
    {
        // "café" in Latin-1: é is the single byte 0xE9, at offset 7 + 3 of the BOM.
        var text = Encoding.UTF8.GetBytes("[\n\"caf").Concat(new byte[] { 0xE9 }).Concat("\"]"u8.ToArray()).ToArray();
        string path = P("classes.json");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. text]);
        var e = Assert.Throws<InvalidInputException>(() => CocoDetectionsFile.Read(path));
        Assert.Equal(
            $"{path}: not UTF-8: byte 0xE9 at byte offset 9 (line 2) is not valid UTF-8; save the file as UTF-8",
            e.Message);
        File.WriteAllBytes(path, text);
        var classes = Assert.Throws<InvalidInputException>(() => ClassListFile.Read(path));
        Assert.Contains("byte 0xE9 at byte offset 6 (line 2)", classes.Message);
    }

    [Fact]
    public void RunningOutOfMemoryWhileReadingNamesTheFile()
    {
        File.WriteAllText(P("gt.json"), "{}");
        var e = Assert.Throws<InvalidInputException>(() =>
            InputFile.Reading<int>(P("gt.json"), () => throw new OutOfMemoryException()));
        Assert.Equal(
            $"{P("gt.json")}: out of memory while reading this file (2 bytes); free memory, or give a smaller file",
            e.Message);
    }
}

/// <summary>A test of Linux file types (FIFO, device, socket, /proc): skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when not on Linux.</summary>
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux file types (FIFO, character device, socket, /proc) are tested on Linux";
    }
}
