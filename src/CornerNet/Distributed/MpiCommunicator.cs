using System.Runtime.InteropServices;

namespace CornerNet.Distributed;

/// <summary>
/// The processes of an <c>mpirun</c> job (MPI_COMM_WORLD of Open MPI), reached by P/Invoke into <c>libmpi.so.40</c>.
/// The library is loaded only when a process finds itself launched by an MPI launcher, so a single process needs no
/// MPI. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM…) are addresses of exported symbols
/// (<c>ompi_mpi_comm_world</c>…), taken with <see cref="NativeLibrary.GetExport"/>. MPI.NET 1.4.0 was tried and not
/// used: it binds to Microsoft MPI (<c>msmpi.dll</c>, integer handles) and fails at its first call on Linux with Open
/// MPI. Errors use MPI's default handler (MPI_ERRORS_ARE_FATAL): a failed collective aborts the whole job instead of
/// hanging.
/// </summary>
internal sealed unsafe class MpiCommunicator : IProcessGroup
{
    /// <summary>Environment variable naming the Open MPI library to load instead of the system's (e.g.
    /// /opt/openmpi/lib/libmpi.so.40).</summary>
    public const string LibraryVariable = "CORNERNET_MPI_LIBRARY";

    /// <summary>The Open MPI library names tried in turn.</summary>
    static string[] LibraryNames => Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } path ? [path] : ["libmpi.so.40", "libmpi.so"];

    readonly IntPtr _world, _float, _double, _int, _byte, _sum, _max;
    readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> _bcast;
    readonly delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, int, IntPtr, int> _gather;
    readonly delegate* unmanaged<void*, int, IntPtr, void*, int*, int*, IntPtr, int, IntPtr, int> _gatherv;
    readonly delegate* unmanaged<IntPtr, int> _barrier;
    readonly delegate* unmanaged<IntPtr, int, int> _abort;
    readonly delegate* unmanaged<int> _finalize;
    bool _finalized;

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public int LocalRank { get; }

    MpiCommunicator(IntPtr library)
    {
        IntPtr Export(string name) => NativeLibrary.GetExport(library, name);
        _world = Export("ompi_mpi_comm_world");
        _float = Export("ompi_mpi_float");
        _double = Export("ompi_mpi_double");
        _int = Export("ompi_mpi_int");
        _byte = Export("ompi_mpi_byte");
        _sum = Export("ompi_mpi_op_sum");
        _max = Export("ompi_mpi_op_max");
        _allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        _gather = (delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Gather");
        _gatherv = (delegate* unmanaged<void*, int, IntPtr, void*, int*, int*, IntPtr, int, IntPtr, int>)Export("MPI_Gatherv");
        _barrier = (delegate* unmanaged<IntPtr, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<IntPtr, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        var initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        var commRank = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_rank");
        var commSize = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_size");

        // MPI_THREAD_FUNNELED (1): only the main thread calls MPI; loader workers never do.
        int provided;
        Check(initThread(null, null, 1, &provided), "MPI_Init_thread");
        int rank, size;
        Check(commRank(_world, &rank), "MPI_Comm_rank");
        Check(commSize(_world, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        LocalRank = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_RANK")
            ?? Environment.GetEnvironmentVariable("MPI_LOCALRANKID") ?? Environment.GetEnvironmentVariable("SLURM_LOCALID"), out int local) ? local : 0;
    }

    /// <summary>
    /// Joins the MPI job. Throws <see cref="InvalidInputException"/> (one line) when the Open MPI library is missing or
    /// unusable: the process was launched by mpirun, so it cannot run alone as if nothing happened.
    /// </summary>
    public static MpiCommunicator Initialize()
    {
        IntPtr library = IntPtr.Zero;
        var failures = new List<string>();
        foreach (var name in LibraryNames)
        {
            try
            {
                // Binds dlerror and clears any earlier error first: binding it after a failed dlopen would load libc
                // through the runtime's own dlopen and wipe the reason.
                dlerror();
                // RTLD_GLOBAL: Open MPI loads its own plugins (mca_*.so), which look up symbols of libmpi globally.
                library = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
                if (library != IntPtr.Zero) break;
                failures.Add(LoadFailure(name, Marshal.PtrToStringUTF8(dlerror())));
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                failures.Add(LoadFailure(name, e.Message.Split('\n')[0]));
                break;
            }
        }
        if (library == IntPtr.Zero)
        {
            string remedy = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 }
                ? $"set {LibraryVariable} to the path of Open MPI's libmpi.so.40"
                : $"install Open MPI (Debian: apt-get install openmpi-bin) or set {LibraryVariable}";
            throw new InvalidInputException(null, $"launched by an MPI launcher ({MpiLaunch.Describe()}) but Open " +
                $"MPI's library could not be loaded: {string.Join("; ", failures)}; {remedy}");
        }
        try
        {
            return new MpiCommunicator(library);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new InvalidInputException(null, $"the MPI library is not Open MPI 4 or later ({e.Message}); CornerNet speaks Open MPI's ABI (libmpi.so.40)");
        }
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) { fixed (float* p = values) Check(_allreduce((void*)1, p, values.Length, _float, _sum, _world), "MPI_Allreduce"); }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) { fixed (double* p = values) Check(_allreduce((void*)1, p, values.Length, _double, _sum, _world), "MPI_Allreduce"); }

    /// <inheritdoc/>
    public void AllReduceSum(Span<int> values) { fixed (int* p = values) Check(_allreduce((void*)1, p, values.Length, _int, _sum, _world), "MPI_Allreduce"); }

    /// <inheritdoc/>
    public void AllReduceMax(Span<int> values) { fixed (int* p = values) Check(_allreduce((void*)1, p, values.Length, _int, _max, _world), "MPI_Allreduce"); }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root) { fixed (byte* p = values) Check(_bcast(p, values.Length, _byte, root, _world), "MPI_Bcast"); }

    /// <inheritdoc/>
    public byte[][]? Gather(ReadOnlySpan<byte> values, int root)
    {
        int length = values.Length;
        var lengths = new int[Size];
        fixed (int* l = lengths) Check(_gather(&length, 1, _int, l, 1, _int, root, _world), "MPI_Gather");
        byte[]? all = null;
        var offsets = new int[Size];
        if (Rank == root)
        {
            long total = 0;
            for (int r = 0; r < Size; r++)
            {
                offsets[r] = (int)total;
                total += lengths[r];
            }
            if (total > int.MaxValue) throw new InvalidOperationException($"gathering {total} bytes exceeds MPI's 2 GiB message limit");
            all = new byte[total];
        }
        fixed (byte* s = values)
        fixed (byte* a = all)
        fixed (int* l = lengths)
        fixed (int* o = offsets)
            Check(_gatherv(s, length, _byte, a, l, o, _byte, root, _world), "MPI_Gatherv");
        if (all is null) return null;
        return Enumerable.Range(0, Size).Select(r => all.AsSpan(offsets[r], lengths[r]).ToArray()).ToArray();
    }

    /// <inheritdoc/>
    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _abort(_world, exitCode);
    }

    /// <summary>Leaves the job (MPI_Finalize); call once, after the last collective.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        _finalize();
    }

    /// <summary>The library that failed and the loader's reason, in one piece ("PATH: reason").</summary>
    static string LoadFailure(string name, string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason)) return $"{name}: the loader gave no reason";
        return reason.StartsWith(name, StringComparison.Ordinal) ? reason : $"{name}: {reason}";
    }

    static void Check(int code, string call)
    {
        // With MPI_ERRORS_ARE_FATAL a failure never returns; this only guards against a changed error handler.
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }

    const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    static extern IntPtr dlopen(string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlerror")]
    static extern IntPtr dlerror();
}
