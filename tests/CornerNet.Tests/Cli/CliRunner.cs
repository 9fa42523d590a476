using System.Security.Cryptography;

namespace CornerNet.Tests.Cli;

/// <summary>Runs the CLI in-process and captures its exit code, standard output and standard error.</summary>
public static class CliRunner
{
    static readonly object ConsoleLock = new();

    /// <summary>Invokes <c>cornernet args…</c>.</summary>
    public static (int ExitCode, string Out, string Err) Run(params string[] args)
    {
        lock (ConsoleLock)
        {
            var originalOut = Console.Out;
            var originalErr = Console.Error;
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = CornerNet.Cli.Program.Main(args);
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(originalOut);
                Console.SetError(originalErr);
            }
        }
    }

    /// <summary>A refused command: exit 2, one line on standard error naming <paramref name="file"/>, no stack trace.</summary>
    public static void AssertOneLineError(int code, string error, string file)
    {
        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(file, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }

    /// <summary>SHA-256 of every file below <paramref name="root"/>, to show that a command changed nothing.</summary>
    public static Dictionary<string, string> Checksums(string root) => Directory.GetFiles(root, "*", SearchOption.AllDirectories)
        .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
