using System.Runtime.InteropServices;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM, handled alike. While a command runs (<see cref="Listen"/>), either one removes the
/// temporary files being written (<see cref="TemporaryFiles"/>) and ends the process: 130 for SIGINT, 143 for SIGTERM
/// (128 + the signal's number). Files already complete are left as they are. Work that can stop cleanly (training, the
/// quick start, the server) asks for the first signal instead (<see cref="StopSignals(string)"/>): it cancels
/// <see cref="Token"/>, and a second signal ends the process as above.
/// </summary>
public sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource _source = new();
    readonly PosixSignalRegistration[] _registrations;
    readonly string _message;
    int _exitCode;

    /// <summary>Turns the first Ctrl-C or SIGTERM into a cancellation of <see cref="Token"/>, printing
    /// <paramref name="message"/>. Dispose to hand the signals back to <see cref="Listen"/>.</summary>
    public StopSignals(string message)
    {
        _message = message;
        // Registered after Listen's, so asked first (.NET asks the latest registration first).
        _registrations = Register(Request);
    }

    /// <summary>Cancelled once a stop signal came.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The exit code the signal asks for (130 or 143), or 0 when none came.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>Removes the temporary files and ends the process on Ctrl-C or SIGTERM, until disposed.</summary>
    public static IDisposable Listen() => new Registrations(Register(Exit));

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }

    void Request(PosixSignalContext context)
    {
        // A second signal is left to Listen: it ends the process.
        if (Interlocked.CompareExchange(ref _exitCode, ExitCodeOf(context.Signal), 0) != 0) return;
        context.Cancel = true;
        Console.Error.WriteLine(_message);
        _source.Cancel();
    }

    static void Exit(PosixSignalContext context)
    {
        TemporaryFiles.RemoveAllAndHold();
        int code = ExitCodeOf(context.Signal);
        Console.Error.WriteLine($"cornernet: stopped by {(code == 143 ? "SIGTERM" : "Ctrl-C (SIGINT)")}; " +
            "files being written were removed, finished ones kept");
        context.Cancel = true;
        Environment.Exit(code);
    }

    static int ExitCodeOf(PosixSignal signal) => signal == PosixSignal.SIGTERM ? 143 : 130;

    static PosixSignalRegistration[] Register(Action<PosixSignalContext> handler)
    {
        try
        {
            return [PosixSignalRegistration.Create(PosixSignal.SIGINT, handler),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, handler)];
        }
        catch (PlatformNotSupportedException)
        {
            // No such signals here (e.g. a browser): the default handling stays.
            return [];
        }
    }

    sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}
