using System.Diagnostics;

namespace CornerNet.Experiments;

/// <summary>
/// Cancels when this process has used a given amount of CPU time (all threads) since creation, or when a wall-clock
/// cap passes. On a machine shared with other jobs, CPU time approximates what a dedicated machine would need:
/// 2 cores × 10 minutes = 20 CPU-minutes.
/// </summary>
sealed class CpuBudget : IDisposable
{
    readonly CancellationTokenSource _source;
    readonly Timer _timer;
    readonly TimeSpan _start = Process.GetCurrentProcess().TotalProcessorTime;

    public CpuBudget(TimeSpan cpu, TimeSpan wall)
    {
        _source = new CancellationTokenSource(wall);
        _timer = new Timer(_ =>
        {
            if (Process.GetCurrentProcess().TotalProcessorTime - _start >= cpu) _source.Cancel();
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _timer.Dispose();
        _source.Dispose();
    }
}
