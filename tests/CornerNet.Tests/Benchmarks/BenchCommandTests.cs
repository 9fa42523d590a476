using System.Text.Json;
using CornerNet.Tests.Cli;

namespace CornerNet.Tests.Benchmarks;

public class BenchCommandTests
{
    [Fact]
    public void ForwardSuiteOnTheTinyPresetWritesRecordsAndTheMachine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bench_{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, error) = CliRunner.Run("bench", "--preset", "tiny", "--size", "127", "--runs", "1", "--warmup", "0",
                "--suite", "forward", "--json", path);
            Assert.True(code == 0, error);
            Assert.Contains("forward_tiny_127", output);

            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var machine = json.RootElement.GetProperty("machine");
            Assert.False(string.IsNullOrEmpty(machine.GetProperty("cpu").GetString()));
            Assert.Equal(Environment.ProcessorCount, machine.GetProperty("cores").GetInt32());
            Assert.Equal(Environment.ProcessorCount, machine.GetProperty("threads").GetInt32());
            Assert.False(string.IsNullOrEmpty(machine.GetProperty("libtorch").GetString()));
            Assert.True(machine.TryGetProperty("onednn_isa_cap", out _));

            var records = json.RootElement.GetProperty("records").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
            Assert.Contains("matmul_4096", records.Keys);
            Assert.Contains("forward_flip_tiny_127", records.Keys);
            // bfloat16 beside the default (float32) record.
            Assert.Equal("bf16", records["forward_tiny_127_bf16"].GetProperty("precision").GetString());
            Assert.False(records["forward_tiny_127"].TryGetProperty("precision", out _));
            var forward = records["forward_tiny_127"];
            Assert.Equal("ms", forward.GetProperty("unit").GetString());
            Assert.Equal(1, forward.GetProperty("runs").GetInt32());
            double median = forward.GetProperty("median_ms").GetDouble();
            Assert.True(median > 0);
            Assert.True(forward.GetProperty("min_ms").GetDouble() <= median && median <= forward.GetProperty("max_ms").GetDouble());
            Assert.True(forward.GetProperty("gflop").GetDouble() > 0);
            Assert.True(forward.GetProperty("gflop_per_s").GetDouble() > 0);
            Assert.True(forward.GetProperty("fraction_of_matmul_peak").GetDouble() > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownSuiteIsAUsageError()
    {
        var (code, _, _) = CliRunner.Run("bench", "--suite", "everything");
        Assert.NotEqual(0, code);
    }
}
