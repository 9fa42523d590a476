using System.Net.Sockets;
using CornerNet.Tests.Distributed;
using CornerNet.Tests.Foundation;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27, special files and streams, through the CLI: a FIFO, a device, a socket or a folder given as any file
/// input is refused by name in one line (exit 2, no stack trace), before it is opened. The FIFO and device cases run
/// the CLI as a child process with a timeout, so that a regression (a read that blocks or never ends) fails the test
/// instead of hanging the suite.
/// </summary>
public sealed class SpecialFileInputTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-special").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    static string Samples(params string[] parts) => Path.Combine([Fixtures.RepoRoot, "samples", .. parts]);

    static string ShippedModel => Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    /// <summary>Runs the built CLI as a child process; one that has not ended after a minute (blocked on a FIFO,
    /// reading a device) is killed and fails the test with a <see cref="TimeoutException"/>.</summary>
    static MpiProcess.Result RunCli(params string[] args) =>
        MpiProcess.Run("dotnet", [MpiProcess.Cli, .. args], TimeSpan.FromMinutes(1));

    /// <summary>A command line for each kind of file input; FIFO stands for the named pipe.</summary>
    public static TheoryData<string, string[]> FifoInputs => new()
    {
        { "image.png", ["detect", ShippedModel, "FIFO"] },
        { "model.safetensors", ["detect", "FIFO", Samples("images", "000001.png")] },
        { "gt.json", ["evaluate", "--gt", "FIFO", "--dets", "DETS"] },
        { "dets.json", ["evaluate", "--gt", Samples("annotations.json"), "--dets", "FIFO"] },
        { "checkpoint.pkl", ["convert", "FIFO", "--out", "OUT/model.safetensors"] },
        { "config.json", ["train", "--data", Samples(), "--config", "FIFO", "--out", "OUT/run", "--iterations", "1"] },
        { "clip.mp4", ["detect", ShippedModel, "FIFO", "--json", "OUT/frames.json"] },
    };

    [LinuxCliTheory]
    [MemberData(nameof(FifoInputs))]
    public void AFifoGivenAsAnyInputIsRefusedByNameWithoutHanging(string name, string[] args)
    {
        string fifo = InputFileTests.MakeFifo(P(name));
        Directory.CreateDirectory(P("out"));
        File.WriteAllText(P("dets.real.json"), "[]");
        var before = CliRunner.Checksums(Samples());
        var result = RunCli([.. args.Select(a => a switch
        {
            "FIFO" => fifo,
            "DETS" => P("dets.real.json"),
            _ => a.Replace("OUT", P("out"), StringComparison.Ordinal),
        })]);
        CliRunner.AssertOneLineError(result.ExitCode, result.Err, fifo);
        Assert.Contains("is a FIFO (named pipe), not a regular file", result.Err);
        Assert.Empty(Directory.GetFileSystemEntries(P("out")));
        Assert.Equal(before, CliRunner.Checksums(Samples()));
    }

    [LinuxCliFact]
    public void DevZeroAsGroundTruthIsRefusedInsteadOfReadUntilMemoryRunsOut()
    {
        var result = RunCli("evaluate", "--gt", "/dev/zero", "--dets", Samples("annotations.json"));
        CliRunner.AssertOneLineError(result.ExitCode, result.Err, "/dev/zero");
        Assert.Contains("is a character device, not a regular file", result.Err);
    }

    [LinuxCliFact]
    public void DevZeroAsAnImageIsRefused()
    {
        var result = RunCli("detect", ShippedModel, "/dev/zero");
        CliRunner.AssertOneLineError(result.ExitCode, result.Err, "/dev/zero");
        Assert.Contains("is a character device, not a regular file", result.Err);
    }

    [LinuxCliFact]
    public void ASocketGivenAsACheckpointIsRefused()
    {
        string path = P("CornerNet_500000.pkl");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        var (code, _, error) = CliRunner.Run("convert", path, "--out", P("coco.safetensors"));
        CliRunner.AssertOneLineError(code, error, path);
        Assert.Contains("is a socket, not a regular file", error);
        Assert.False(File.Exists(P("coco.safetensors")));
    }

    [Fact]
    public void AFolderGivenAsGroundTruthIsADirectory()
    {
        string folder = Directory.CreateDirectory(P("gt.json")).FullName;
        var (code, _, error) = CliRunner.Run("evaluate", "--gt", folder, "--dets", Samples("annotations.json"));
        CliRunner.AssertOneLineError(code, error, folder);
        Assert.Contains("is a directory, not a file", error);
    }
}

/// <summary>A test that runs the built CLI as a child process on Linux file types: skipped elsewhere or without the
/// CLI beside the tests.</summary>
public sealed class LinuxCliFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the test cannot run here.</summary>
    public LinuxCliFactAttribute() => Skip = LinuxCliTheoryAttribute.Reason();
}

/// <summary>The theory form of <see cref="LinuxCliFactAttribute"/>.</summary>
public sealed class LinuxCliTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the test cannot run here.</summary>
    public LinuxCliTheoryAttribute() => Skip = Reason();

    internal static string? Reason() =>
        !OperatingSystem.IsLinux() ? "Linux file types (FIFO, character device, socket) are tested on Linux"
        : !File.Exists(MpiProcess.Cli) ? $"CornerNet.Cli.dll not found beside the tests ({AppContext.BaseDirectory})"
        : null;
}
