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
}
