using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Spectre.Console bound to the current <see cref="Console.Out"/>. The static <c>AnsiConsole</c> captures the writer
/// it first sees, which breaks when the output is redirected later (as in-process tests do); this builds a fresh one.
/// </summary>
public static class Terminal
{
    /// <summary>A console writing to the current standard output.</summary>
    public static IAnsiConsole Current() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });

    /// <summary>True when progress bars can be drawn (interactive terminal, output not redirected).</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
}
