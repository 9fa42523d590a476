using System.CommandLine;

namespace CornerNet.Cli;

/// <summary>
/// Decides which command lines run without the AVX2 cap of <see cref="OneDnnIsaCap"/>: those that never run a backward
/// pass (oneDNN's AVX-512 forward is correct and about 1.8× faster; only its convolution backward is broken). Training,
/// and the benchmark's training-step figure, keep the cap.
/// </summary>
public static class InferenceIsaPolicy
{
    static readonly HashSet<string> InferenceCommands = ["detect", "test", "forward", "evaluate", "convert", "export"];

    /// <summary>Whether the parsed command line only runs inference (bench: every suite but <c>train</c>; the <c>standard</c> suite measures its training step in a capped child process).</summary>
    public static bool MayLiftCap(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Errors.Count > 0) return false;
        string name = parse.CommandResult.Command.Name;
        if (InferenceCommands.Contains(name)) return true;
        return name == "bench" && parse.GetValue<string>("--suite") != "train";
    }
}
