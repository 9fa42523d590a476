using System.Diagnostics;

namespace CornerNet.Tests.Distributed;

/// <summary>Runs the built CLI as separate processes: alone, or as an <c>mpirun</c> job.</summary>
static class MpiProcess
{
    /// <summary>The CLI assembly copied beside the tests.</summary>
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "CornerNet.Cli.dll");

    /// <summary>Path of mpirun, or null when MPI is not installed.</summary>
    public static string? MpiRun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Runs <c>cornernet args…</c> as one process.</summary>
    public static Result Alone(params string[] args) => Run("dotnet", [Cli, .. args], TimeSpan.FromMinutes(5));

    /// <summary>Runs <c>mpirun -np ranks cornernet args…</c>.</summary>
    public static Result Job(int ranks, params string[] args) => Start(ranks, args).Wait(TimeSpan.FromMinutes(5));

    /// <summary>Starts <c>mpirun -np ranks cornernet args…</c> without waiting.</summary>
    public static Running Start(int ranks, params string[] args)
    {
        if (MpiRun is null) throw new InvalidOperationException("mpirun not found");
        // As root mpirun needs --allow-run-as-root; on 2 cores more ranks than cores need --oversubscribe.
        return Launch(MpiRun, ["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), "dotnet", Cli, .. args], new Dictionary<string, string>());
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> and extra environment <paramref name="environment"/>.</summary>
    public static Result Run(string file, string[] args, TimeSpan timeout, IDictionary<string, string>? environment = null) =>
        Launch(file, args, environment ?? new Dictionary<string, string>()).Wait(timeout);

    static Running Launch(string file, string[] args, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        return new Running(process, output, error);
    }

    public sealed record Result(int ExitCode, string Out, string Err, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit {ExitCode}\n{Out}\n{Err}";
    }

    public sealed class Running(Process process, Task<string> output, Task<string> error)
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();

        public Process Process => process;

        /// <summary>Waits for the end (killing the process tree after <paramref name="timeout"/>).</summary>
        public Result Wait(TimeSpan timeout)
        {
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not end within {timeout}\n{output.Result}\n{error.Result}");
            }
            process.WaitForExit();
            return new Result(process.ExitCode, output.Result, error.Result, _clock.Elapsed);
        }

        /// <summary>Process ids of the ranks started by this mpirun, by rank.</summary>
        public Dictionary<int, int> RankProcesses()
        {
            var ranks = new Dictionary<int, int>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                    if (parent != process.Id) continue;
                    var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                    var rank = environment.FirstOrDefault(e => e.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal));
                    if (rank is not null) ranks[int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..])] = pid;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            return ranks;
        }
    }
}

/// <summary>A fact that launches mpirun; skipped with a clear reason when Open MPI is not installed.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when mpirun is missing.</summary>
    public MpiFactAttribute()
    {
        if (MpiProcess.MpiRun is null) Skip = "mpirun not found on PATH (install Open MPI: apt-get install openmpi-bin; .ci/run does)";
    }
}

/// <summary>An <see cref="MpiFactAttribute"/> that also reads ../shared/data/coco128; skipped with a reason when either is missing.</summary>
public sealed class MpiCoco128FactAttribute : FactAttribute
{
    /// <summary>Sets Skip when mpirun or coco128 is missing.</summary>
    public MpiCoco128FactAttribute()
    {
        if (MpiProcess.MpiRun is null) Skip = "mpirun not found on PATH (install Open MPI: apt-get install openmpi-bin; .ci/run does)";
        else if (!Directory.Exists(Fixtures.Coco128)) Skip = $"coco128 not found at {Fixtures.Coco128} (clone the repository beside shared/)";
    }
}
