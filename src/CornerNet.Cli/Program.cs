using System.CommandLine;
using CornerNet.Cli.Commands;
using CornerNet.Inference;
using CornerNet.Runtime;

namespace CornerNet.Cli;

/// <summary>Entry point of the <c>cornernet</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the process exit code (0 success, 2 bad usage or input).</summary>
    public static int Main(string[] args)
    {
        LargeAllocationReuse.Apply();
        OnnxRuntimeNetwork.Warning += warning => Console.Error.WriteLine($"cornernet: warning: {warning}");
        var parse = Build().Parse(args);
        // A mistyped option (--treshold) is named as such, not reported as whatever it displaced (a missing image).
        if (parse.Tokens.FirstOrDefault(t => t.Type == System.CommandLine.Parsing.TokenType.Argument && LooksLikeAnOption(t.Value))?.Value is string unknown)
        {
            Console.Error.WriteLine($"cornernet: unknown option '{unknown}' (see 'cornernet {parse.CommandResult.Command.Name} --help')");
            return 2;
        }
        if (parse.Errors.Count > 0)
        {
            // Bad usage is exit code 2 with a one-line message, like bad input (System.CommandLine's default is 1).
            Console.Error.WriteLine($"cornernet: {parse.Errors[0].Message} (see 'cornernet --help')");
            return 2;
        }
        // Ctrl-C and SIGTERM leave no temporary file behind, whichever command runs.
        using var signals = StopSignals.Listen();
        return parse.Invoke();
    }

    static bool LooksLikeAnOption(string token) => token.Length > 1 && token[0] == '-' && (token[1] == '-' || char.IsLetter(token[1]));

    /// <summary>The root command with every subcommand (also used by tests).</summary>
    public static Command Build()
    {
        // Named here, not by the executable: the installed tool runs as CornerNet.Cli.dll, and help must say
        // 'cornernet'.
        var root = new Command("cornernet", "CornerNet for .NET: object detection as paired corner keypoints (Law & Deng, ECCV 2018).") { new System.CommandLine.Help.HelpOption() };
        VersionReport.Replace(root);
        // One line per command; each command lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(ForwardCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(QuickstartCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
