using System.CommandLine;
using CornerNet.Cli.Commands;

namespace CornerNet.Cli;

/// <summary>Entry point of the <c>cornernet</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the process exit code (0 success, 2 bad usage or input).</summary>
    public static int Main(string[] args)
    {
        LargeAllocationReuse.Apply();
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad usage is exit code 2 with a one-line message, like bad input (System.CommandLine's default is 1).
            Console.Error.WriteLine($"cornernet: {parse.Errors[0].Message} (see 'cornernet --help')");
            return 2;
        }
        return parse.Invoke();
    }

    /// <summary>The root command with every subcommand (also used by tests).</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("CornerNet for .NET: object detection as paired corner keypoints (Law & Deng, ECCV 2018).");
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
