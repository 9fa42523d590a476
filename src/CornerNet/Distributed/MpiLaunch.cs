namespace CornerNet.Distributed;

/// <summary>
/// Whether this process was started by an MPI launcher (mpirun/mpiexec of Open MPI, or a PMI/PMIx launcher such as
/// Slurm's srun), read from the variables the launcher sets. Only then is MPI loaded.
/// </summary>
internal static class MpiLaunch
{
    static readonly string[] SizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"];

    /// <summary>True when a launcher variable is present.</summary>
    public static bool IsLaunched => SizeVariables.Any(v => Environment.GetEnvironmentVariable(v) is not null);

    /// <summary>The launcher variable seen, for messages (e.g. "OMPI_COMM_WORLD_SIZE=2").</summary>
    public static string Describe()
    {
        var name = SizeVariables.FirstOrDefault(v => Environment.GetEnvironmentVariable(v) is not null);
        return name is null ? "no MPI launcher" : $"{name}={Environment.GetEnvironmentVariable(name)}";
    }

    /// <summary>The process group this process belongs to: MPI's when launched by MPI, otherwise
    /// <see cref="SingleProcess"/>.</summary>
    public static IProcessGroup Join() => IsLaunched ? MpiCommunicator.Initialize() : SingleProcess.Instance;
}
