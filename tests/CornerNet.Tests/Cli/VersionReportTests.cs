using CornerNet.Model;
using CornerNet.Quantization;
using CornerNet.Runtime;

namespace CornerNet.Tests.Cli;

public class VersionReportTests
{
    [Fact]
    public void VersionPrintsTheCpuTheProbeAndTheActivePaths()
    {
        var probe = new OneDnnProbeResult(true, 2.5e-7, false, 0.31, 0.2);
        using var forced = ConvolutionPaths.Force(new ConvolutionPaths(false, true, probe, "probe cached in /x/onednn-probe-1.json"));
        var (code, output, error) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains($"cpu       {CpuIdentity.Current.Describe()}", output);
        Assert.Contains("probe     forward correct (worst relative error 2.5E-07), backward-data WRONG (worst relative error 0.31), took 0.20 s", output);
        Assert.Contains("conv      forward plain oneDNN, input gradient by forward convolutions (probe cached in /x/onednn-probe-1.json)", output);
    }

    [Fact]
    public void ForcedPathsPrintNoProbeLine()
    {
        using var forced = ConvolutionPaths.Force(new ConvolutionPaths(true, false, null, "forced by CORNERNET_CONV_FORWARD=padded, CORNERNET_CONV_INPUT_GRADIENT=plain"));
        var (code, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.DoesNotContain("probe     ", output);
        Assert.Contains("conv      forward channel-padded, input gradient plain oneDNN (forced by CORNERNET_CONV_FORWARD=padded, CORNERNET_CONV_INPUT_GRADIENT=plain)", output);
    }

    [Fact]
    public void VersionPrintsEveryHostDecisionWithItsSource()
    {
        using var paths = ConvolutionPaths.Force(new ConvolutionPaths(false, false, null, "test paths"));
        using var precision = AutoPrecision.Force(new AutoPrecision(Precision.Fp32, null, "test precision"));
        using var activations = AutoActivationType.Force(
            new AutoActivationType(ActivationType.Int8, new SpeedComparison(0.03, 0.02, 0.5), "test int8"));
        var (code, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Contains("conv      forward plain oneDNN, input gradient plain oneDNN (test paths)", output);
        Assert.Contains("precision auto = fp32 (test precision)", output);
        Assert.Contains("layout    hourglass fp32 auto = ", output);
        Assert.Contains("layout    squeeze fp32 auto = ", output);
        Assert.Contains("int8      auto = int8 (int8 1.50× uint8 speed; test int8)", output);
    }
}
