using System.CommandLine;
using System.Reflection;
using CornerNet.Model;
using CornerNet.Quantization;
using CornerNet.Runtime;

namespace CornerNet.Cli.Commands;

/// <summary><c>cornernet --version</c>: tool version, libtorch version, devices, thread count, CPU, the convolution
/// paths its oneDNN probe chose, and what --precision auto, --layout auto and int8 activations run on this host, each
/// with where the decision came from.</summary>
public static class VersionReport
{
    /// <summary>Replaces the default --version option of <paramref name="root"/> with this fuller report.</summary>
    public static void Replace(Command root)
    {
        for (int i = root.Options.Count - 1; i >= 0; i--)
            if (root.Options[i] is VersionOption) root.Options.RemoveAt(i);
        var version = new Option<bool>("--version") { Description = "Show version, libtorch, devices, threads, CPU, the oneDNN probe's convolution paths and the --precision auto choice." };
        root.Options.Add(version);
        root.SetAction(parse =>
        {
            if (parse.GetValue(version)) return CommandRunner.Run(() => { Print(); return 0; });
            Console.Error.WriteLine("cornernet: no command given; see 'cornernet --help'.");
            return 2;
        });
    }

    static void Print()
    {
        TorchRuntime.SetThreads(0);
        var paths = ConvolutionPaths.Active;
        string tool = typeof(VersionReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        int plus = tool.IndexOf('+');
        if (plus >= 0) tool = tool[..plus];
        Console.WriteLine($"cornernet {tool}");
        Console.WriteLine($"libtorch  {TorchRuntime.LibTorchVersion}");
        Console.WriteLine($"devices   {string.Join(", ", TorchRuntime.Devices)}");
        Console.WriteLine($"threads   {TorchRuntime.Threads}");
        Console.WriteLine($"oneDNN    ISA cap {Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "none"}");
        Console.WriteLine($"cpu       {CpuIdentity.Current.Describe()}");
        if (paths.Probe is { } probe)
            Console.WriteLine($"probe     forward {OneDnnProbeResult.Verdict(probe.ForwardCorrect, probe.ForwardError)}, "
                + $"backward-data {OneDnnProbeResult.Verdict(probe.InputGradientCorrect, probe.InputGradientError)}, took {probe.Seconds:0.00} s");
        Console.WriteLine($"conv      {paths.Describe()}");
        Console.WriteLine($"precision {AutoPrecision.Active.Describe()}");
        var dtypes = AutoPrecision.Active.Chosen == Precision.Bf16
            ? new[] { TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.ScalarType.BFloat16 }
            : [TorchSharp.torch.ScalarType.Float32];
        foreach (var family in CornerNetConfig.Families)
            foreach (var dtype in dtypes)
                Console.WriteLine(
                    $"layout    {family.Name} {(dtype == TorchSharp.torch.ScalarType.Float32 ? "fp32" : "bf16")} "
                    + AutoLayout.For(dtype, family.Name, family.LayoutBlock).Describe());
        Console.WriteLine($"int8      {AutoActivationType.For(new QuantizationOptions().Threads).Describe()}");
    }
}
