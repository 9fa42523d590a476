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
    readonly string _message;
    int _exitCode;

    // The work that takes the next signal as a request, if any (one at a time: a command runs one such piece).
    static StopSignals? _active;

    /// <summary>Turns the first Ctrl-C or SIGTERM into a cancellation of <see cref="Token"/>, printing
    /// <paramref name="message"/>. Dispose to hand the signals back to <see cref="Listen"/>.</summary>
    public StopSignals(string message)
    {
        _message = message;
        _active = this;
    }

    /// <summary>Cancelled once a stop signal came.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The exit code the signal asks for (130 or 143), or 0 when none came.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>Removes the temporary files and ends the process on Ctrl-C or SIGTERM, until disposed.</summary>
    public static IDisposable Listen() => new Registrations(Register(Exit));

    /// <summary>Stops listening.</summary>
    public void Dispose() => Interlocked.CompareExchange(ref _active, null, this);

    /// <summary>Takes the first signal as a request; false for a second one.</summary>
    bool Request(PosixSignalContext context)
    {
        if (Interlocked.CompareExchange(ref _exitCode, ExitCodeOf(context.Signal), 0) != 0) return false;
        context.Cancel = true;
        Console.Error.WriteLine(_message);
        _source.Cancel();
        return true;
    }

    static void Exit(PosixSignalContext context)
    {
        if (Volatile.Read(ref _active) is { } work && work.Request(context)) return;
        // Another handler (the server's host) stops the work it owns.
        if (context.Cancel) return;
        TemporaryFiles.RemoveAllAndHold();
        int code = ExitCodeOf(context.Signal);
        Console.Error.WriteLine($"cornernet: stopped by {(code == 143 ? "SIGTERM" : "Ctrl-C (SIGINT)")}; " +
            "files being written were removed, finished ones kept");
        context.Cancel = true;
        // At once, without the exit handlers: libtorch's static destructors crash (SIGSEGV) while another thread is
        // inside it, and the main thread may well be.
        if (OperatingSystem.IsWindows()) Environment.Exit(code);
        ExitNow(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    static extern void ExitNow(int code);

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
