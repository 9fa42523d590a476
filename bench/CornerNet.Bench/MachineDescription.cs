using System.Text.Json.Serialization;
using CornerNet.Runtime;

namespace CornerNet.Benchmarks;

/// <summary>The machine and runtime a benchmark ran on.</summary>
internal sealed record MachineDescription
{
    /// <summary>CPU model name from <c>/proc/cpuinfo</c> (or the processor architecture elsewhere).</summary>
    [JsonPropertyName("cpu")] public required string Cpu { get; init; }

    /// <summary>Logical processors available to this process.</summary>
    [JsonPropertyName("cores")] public int Cores { get; init; }

    /// <summary>libtorch intra-op threads used for the measurements.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }

    /// <summary>libtorch version.</summary>
    [JsonPropertyName("libtorch")] public required string LibTorch { get; init; }

    /// <summary>oneDNN instruction-set cap set in the environment (<c>ONEDNN_MAX_CPU_ISA</c>), null when
    /// none.</summary>
    [JsonPropertyName("onednn_isa_cap")] public string? OneDnnIsaCap { get; init; }

    /// <summary>CPU instruction-set extensions relevant to libtorch's kernels (AVX2, AVX-512 F/BF16/VNNI, AMX) that the
    /// CPU reports.</summary>
    [JsonPropertyName("cpu_flags")] public IReadOnlyList<string> CpuFlags { get; init; } = [];

    /// <summary>.NET runtime version.</summary>
    [JsonPropertyName("dotnet")] public required string DotNet { get; init; }

    /// <summary>Describes this machine now (call after the thread count is set).</summary>
    public static MachineDescription Current()
    {
        string cpu = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        var flags = new List<string>();
        const string CpuInfo = "/proc/cpuinfo";
        if (File.Exists(CpuInfo))
        {
            var lines = File.ReadAllLines(CpuInfo);
            string? model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model != null) cpu = model[(model.IndexOf(':') + 1)..].Trim();
            string? flagLine = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (flagLine != null)
            {
                var present = flagLine[(flagLine.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                flags.AddRange(new[] { "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile" }.Where(present.Contains));
            }
        }
        return new MachineDescription
        {
            Cpu = cpu,
            Cores = Environment.ProcessorCount,
            Threads = TorchRuntime.Threads,
            LibTorch = TorchRuntime.LibTorchVersion,
            OneDnnIsaCap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"),
            CpuFlags = flags,
            DotNet = Environment.Version.ToString(),
        };
    }
}
