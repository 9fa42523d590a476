using CornerNet.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Cli.Commands;

/// <summary>
/// Runs a command that can be launched by <c>mpirun</c> (train, test): joins the job (or runs alone without MPI),
/// and when this process fails while others run, says so in one line naming the rank and the cause and ends the whole
/// job (MPI_Abort) instead of leaving the others waiting in a collective.
/// </summary>
internal static class MpiJob
{
    /// <summary>Runs <paramref name="body"/> in the process group this process belongs to; returns the exit
    /// code.</summary>
    public static int Run(Func<IProcessGroup, int> body)
    {
        IProcessGroup? group = null;
        int code = CommandRunner.Run(() =>
        {
            group = MpiLaunch.Join();
            return body(group);
        }, () => group is { Size: > 1 } g ? $"cornernet: rank {g.Rank} of {g.Size}" : "cornernet");
        if (group is null) return code;
        if (code != 0 && group.Size > 1) group.Abort(code);
        group.Dispose();
        return code;
    }

    /// <summary>
    /// The device named by <c>--device</c>: <c>cpu</c>, <c>cuda:K</c>, or <c>cuda</c>, which is <c>cuda:LOCALRANK</c>
    /// under MPI (one GPU per process on each machine).
    /// </summary>
    public static Device ParseDevice(string text, IProcessGroup group)
    {
        if (text == "cpu") return CPU;
        int index;
        if (text == "cuda") index = group.LocalRank;
        else if (!text.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(text[5..], out index) || index < 0)
            throw new InvalidInputException(null, $"unknown --device '{text}' (cpu, cuda, cuda:K)");
        if (!cuda.is_available())
            throw new InvalidInputException(null, $"--device {text}: CUDA is not available to this build (TorchSharp-cpu) or on this machine");
        if (index >= cuda.device_count())
            throw new InvalidInputException(null, $"--device {text}: this machine has {cuda.device_count()} CUDA device(s)");
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>libtorch threads for <c>--threads 0</c>: the machine's cores shared among the job's processes on
    /// it.</summary>
    public static int DefaultThreads()
    {
        int local = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int n) && n > 0 ? n : 1;
        return Math.Max(1, Environment.ProcessorCount / local);
    }
}
