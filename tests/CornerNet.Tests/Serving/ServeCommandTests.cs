using System.Diagnostics;
using System.Net;
using CornerNet.Cli.Commands;
using CornerNet.Serving;
using CornerNet.Tests.Cli;

namespace CornerNet.Tests.Serving;

/// <summary><c>cornernet serve</c>'s key options and its warning for a server that other machines can reach. No
/// test listens anywhere but on loopback: a non-loopback host is one this machine does not have (TEST-NET-1), so
/// binding fails at once after the warning.</summary>
public sealed class ServeCommandTests : IDisposable
{
    const string Key = "s3cret-key_0123456789";
    // RFC 5737 documentation address: never this machine's, so Kestrel's bind fails fast.
    const string ForeignHost = "192.0.2.1";
    readonly string _dir = Directory.CreateTempSubdirectory("serve-command-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string P(string name) => Path.Combine(_dir, name);

    string KeyFile(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = P($"key-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        return path;
    }

    static (int Code, string Out, string Err) Serve(params string[] args) =>
        CliRunner.Run(["serve", DetectionServerTests.ModelPath, "--precision", "fp32", "--layout", "nchw", .. args]);

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("128.0.0.1", false)]
    [InlineData("my-server.example", false)]
    [InlineData("*", false)]
    public void LoopbackDecision(string host, bool loopback) => Assert.Equal(loopback, ServerOptions.IsLoopback(host));

    [Fact]
    public void NetworkWarningIsOneLineForAnOpenHostAndNoneForLoopback()
    {
        Assert.Null(ServeCommand.NetworkWarning(new ServerOptions { Host = "127.0.0.1" }));
        Assert.Null(ServeCommand.NetworkWarning(new ServerOptions { Host = "::1" }));
        string open = ServeCommand.NetworkWarning(new ServerOptions { Host = "0.0.0.0" })!;
        Assert.DoesNotContain('\n', open);
        Assert.Contains("open", open);
        Assert.Contains("unencrypted", open);
        Assert.Contains("--api-key-file", open);
        Assert.Contains("reverse proxy", open);
        string keyed = ServeCommand.NetworkWarning(new ServerOptions { Host = "0.0.0.0", ApiKey = Key })!;
        Assert.DoesNotContain('\n', keyed);
        Assert.Contains("unencrypted", keyed);
        Assert.DoesNotContain(Key, keyed);
    }

    [Fact]
    public void NonLoopbackHostWithoutAKeyPrintsTheWarningBeforeListening()
    {
        var (code, output, error) = Serve("--host", ForeignHost, "--port", "0");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, code);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("cornernet: warning:", lines[0]);
        Assert.Contains(ForeignHost, lines[0]);
        Assert.Contains("open", lines[0]);
        Assert.Contains("unencrypted", lines[0]);
        Assert.Contains("TLS", lines[0]);
        // The bind failure itself is one line too, not a SocketException trace.
        Assert.Contains($"cannot listen on {ForeignHost}", lines[1]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("serving", output);
    }

    [Fact]
    public void LoopbackHostPrintsNoWarning()
    {
        // Port 1 on loopback is privileged or refused for non-root; as root it may bind, so use an address in use.
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, error) = Serve("--host", "127.0.0.1", "--port", port.ToString());
        CliRunner.AssertOneLineError(code, error, $"127.0.0.1:{port}");
        Assert.DoesNotContain("warning", error);
    }

    [Fact]
    public void WorldReadableKeyFileIsWarnedAboutAndAKeyedForeignHostStillWarnsOfPlainHttp()
    {
        if (OperatingSystem.IsWindows()) return;
        string file = KeyFile(Key + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (code, _, error) = Serve("--host", ForeignHost, "--port", "0", "--api-key-file", file);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, code);
        Assert.Equal(3, lines.Length);
        Assert.Contains(file, lines[0]);
        Assert.Contains("chmod 600", lines[0]);
        Assert.Contains("unencrypted", lines[1]);
        Assert.DoesNotContain("open (no API key)", lines[1]);
        Assert.DoesNotContain(Key, error);
    }

    [Fact]
    public void BadKeyFilesAreOneLineErrorsWithExitCode2()
    {
        string dir = P("a-folder");
        Directory.CreateDirectory(dir);
        var cases = new List<(string File, string Says)>
        {
            (P("missing-key"), "not found"),
            (dir, "directory"),
            (KeyFile(""), "empty"),
            (KeyFile("\n"), "empty"),
            (KeyFile("\r\n\r\n"), "empty"),
            (KeyFile("first-line\nsecond-line\n"), "one line"),
            (KeyFile("has a space\n"), "without spaces"),
            (KeyFile(" leading-space\n"), "without spaces"),
            (KeyFile("caf\u00e9-key\n"), "printable ASCII"),
            (KeyFile(new string('k', BearerKey.MaxFileBytes + 1)), "over 4096 bytes"),
        };
        if (File.Exists("/dev/null")) cases.Add(("/dev/null", "not a regular file"));
        if (!OperatingSystem.IsWindows() && File.Exists("/usr/bin/mkfifo"))
        {
            string fifo = P("fifo");
            using (var mkfifo = Process.Start("/usr/bin/mkfifo", [fifo])) mkfifo.WaitForExit();
            cases.Add((fifo, "not a regular file"));
        }
        foreach (var (file, says) in cases)
        {
            var (code, _, error) = Serve("--api-key-file", file);
            CliRunner.AssertOneLineError(code, error, file);
            Assert.Contains(says, error);
        }
    }

    [Fact]
    public void EmptyEnvironmentKeyAndProtectMetricsWithoutAKeyAreRefused()
    {
        string? before = Environment.GetEnvironmentVariable(ServeCommand.ApiKeyVariable);
        try
        {
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, null);
            var (code, _, error) = Serve("--protect-metrics");
            CliRunner.AssertOneLineError(code, error, "--protect-metrics");
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, "bad key");
            (code, _, error) = Serve();
            CliRunner.AssertOneLineError(code, error, ServeCommand.ApiKeyVariable);
            Assert.DoesNotContain("bad key", error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, before);
        }
    }

    [Fact]
    public void KeyFileWinsOverTheEnvironmentVariable()
    {
        // An unusable environment key is not even read when --api-key-file is given: the command gets as far as
        // listening, and its warning is the one for a keyed server.
        string file = KeyFile(Key + "\n");
        string? before = Environment.GetEnvironmentVariable(ServeCommand.ApiKeyVariable);
        try
        {
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, "bad key");
            var (code, _, error) =
                Serve("--host", ForeignHost, "--port", "0", "--api-key-file", file, "--protect-metrics");
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, code);
            Assert.Equal(2, lines.Length);
            Assert.Contains("over plain HTTP", lines[0]);
            Assert.Contains($"cannot listen on {ForeignHost}", lines[1]);
            Assert.DoesNotContain(ServeCommand.ApiKeyVariable, error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, before);
        }
    }
}
