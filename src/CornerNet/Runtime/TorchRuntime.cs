using TorchSharp;

namespace CornerNet.Runtime;

/// <summary>Facts about the loaded libtorch runtime, and the one place that sets its thread count.</summary>
internal static class TorchRuntime
{
    /// <summary>The libtorch version TorchSharp was built against, e.g. "2.10.0".</summary>
    public static string LibTorchVersion => torch.__version__;

    /// <summary>Devices available to this process, CPU first.</summary>
    public static IReadOnlyList<string> Devices
    {
        get
        {
            var list = new List<string> { "cpu" };
            if (torch.cuda.is_available())
                for (int i = 0; i < torch.cuda.device_count(); i++) list.Add($"cuda:{i}");
            return list;
        }
    }

    /// <summary>Number of intra-op threads libtorch uses.</summary>
    public static int Threads => torch.get_num_threads();

    /// <summary>Sets libtorch's intra-op threads; 0 or less means one per processor.</summary>
    public static void SetThreads(int threads)
    {
        torch.set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
    }
}
