namespace CornerNet.Cli.Commands;

/// <summary>Runs a command body with the CLI's error contract: bad input prints one line and exits with 2.</summary>
public static class CommandRunner
{
    /// <summary>Invokes <paramref name="body"/>; maps <see cref="InvalidInputException"/> and missing files to exit code 2.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidInputException e)
        {
            Console.Error.WriteLine($"cornernet: {e.Message}");
            return 2;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"cornernet: {e.FileName ?? "file"}: not found");
            return 2;
        }
        catch (DirectoryNotFoundException e)
        {
            Console.Error.WriteLine($"cornernet: {e.Message}");
            return 2;
        }
    }
}
