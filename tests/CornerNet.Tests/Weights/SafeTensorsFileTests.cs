using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Weights;

public class SafeTensorsFileTests
{
    [FixtureFact]
    public void ReadsFixtureShapesAndValues()
    {
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "corner_pool.safetensors"));
        var info = file.Info("input");
        Assert.Equal(ScalarType.Float32, info.DType);
        Assert.Equal(new long[] { 2, 4, 7, 9 }, info.Shape);
        using var input = file.Load("input");
        // The fixture sets input[0,0,2,:] = 1.5.
        Assert.All(input[0, 0, 2].data<float>().ToArray(), v => Assert.Equal(1.5f, v));
    }

    [Fact]
    public void WriteThenReadRoundTripsTensorsAndMetadata()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        try
        {
            var a = arange(12, dtype: float32).reshape(3, 4);
            var b = tensor(new long[] { -1, 5, 1L << 40 });
            var c = tensor(new byte[] { 0, 255 });
            SafeTensorsFile.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["z.c"] = c },
                new Dictionary<string, string> { ["format_version"] = "1" });
            var file = SafeTensorsFile.Read(path);
            Assert.Equal("1", file.Metadata["format_version"]);
            Assert.Equal(new[] { "a", "b", "z.c" }, file.Tensors.Select(t => t.Name));
            Assert.True(file.Load("a").Equals(a));
            Assert.True(file.Load("b").Equals(b));
            Assert.True(file.Load("z.c").Equals(c));
            Assert.False(File.Exists(path + ".tmp-" + Environment.ProcessId));
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "truncated")]
    [InlineData(new byte[] { 255, 255, 255, 255, 0, 0, 0, 0, 0 }, "implausible")]
    [InlineData(new byte[] { 64, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}' }, "past the end")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x' }, "not valid JSON")]
    public void BrokenFilesGiveAClearError(byte[] content, string expected)
    {
        string path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, content);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => SafeTensorsFile.Read(path));
            Assert.Contains(expected, e.Message);
            Assert.StartsWith(path, e.Message);
        }
        finally { File.Delete(path); }
    }
}
