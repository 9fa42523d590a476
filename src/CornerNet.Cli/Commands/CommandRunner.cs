namespace CornerNet.Cli.Commands;

/// <summary>Runs a command body with the CLI's error contract: bad input prints one line and exits with 2.</summary>
public static class CommandRunner
{
    /// <summary>Invokes <paramref name="body"/>; maps <see cref="InvalidInputException"/> and missing files to exit
    /// code 2.</summary>
    public static int Run(Func<int> body) => Run(body, () => "cornernet");

    /// <summary>As <see cref="Run(Func{int})"/>, with messages led by <paramref name="prefix"/> (e.g. the MPI rank),
    /// and any other exception reported in one line with exit code 1 (a rank of an MPI job must not die
    /// silently).</summary>
    public static int Run(Func<int> body, Func<string> prefix)
    {
        try
        {
            return body();
        }
        catch (InvalidInputException e)
        {
            Console.Error.WriteLine($"{prefix()}: {e.Message}");
            return 2;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"{prefix()}: {e.FileName ?? "file"}: not found");
            return 2;
        }
        catch (DirectoryNotFoundException e)
        {
            Console.Error.WriteLine($"{prefix()}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (OutOfMemoryMessage.Cause(e) is OutOfMemoryException outOfMemory)
        {
            Console.Error.WriteLine($"{prefix()}: {OutOfMemoryMessage.For(outOfMemory)}");
            return 2;
        }
        catch (Exception e) when (prefix() != "cornernet")
        {
            Console.Error.WriteLine($"{prefix()}: {(e is OutOfMemoryException ? "out of memory" : e.GetType().Name)}: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }
}
