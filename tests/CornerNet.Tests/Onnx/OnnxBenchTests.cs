using System.Text.Json;
using CornerNet.Tests.Cli;

namespace CornerNet.Tests.Onnx;

public class OnnxBenchTests
{
    [Fact]
    public void OnnxSuiteRecordsExportAndBothEngines()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bench_{Guid.NewGuid():N}.json");
        try
        {
            var (code, _, error) = CliRunner.Run("bench", "--preset", "tiny", "--size", "127", "--runs", "1", "--warmup", "0", "--suite", "onnx", "--json", path);
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var records = json.RootElement.GetProperty("records").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
            Assert.True(records["onnx_export_tiny_127"].GetProperty("file_mb").GetDouble() > 0);
            Assert.True(records["forward_raw_tiny_127_torch"].GetProperty("median_ms").GetDouble() > 0);
            Assert.StartsWith("1.", records["forward_raw_tiny_127_onnx"].GetProperty("onnxruntime").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
