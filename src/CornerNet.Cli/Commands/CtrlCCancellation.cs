namespace CornerNet.Cli.Commands;

/// <summary>
/// Turns Ctrl-C into a cancellation request for long work (training) instead of killing the process, so the work can
/// stop cleanly; prints <c>message</c> when it fires. Dispose to restore the default Ctrl-C behaviour.
/// </summary>
public sealed class CtrlCCancellation : IDisposable
{
    readonly CancellationTokenSource _source = new();
    readonly ConsoleCancelEventHandler _handler;

    /// <summary>Starts listening for Ctrl-C.</summary>
    public CtrlCCancellation(string message)
    {
        _handler = (_, e) =>
        {
            e.Cancel = true;
            _source.Cancel();
            Console.Error.WriteLine(message);
        };
        Console.CancelKeyPress += _handler;
    }

    /// <summary>Cancelled once Ctrl-C was pressed.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _source.Dispose();
    }
}
