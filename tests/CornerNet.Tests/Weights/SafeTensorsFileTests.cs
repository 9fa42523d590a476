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
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".tmp-*"));
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

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,9]}}", "past the data section")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,2]}}", "0 ≤ begin ≤ end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}", "0 ≤ begin ≤ end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "need 12")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693953],\"data_offsets\":[0,8]}}", "too large")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}", "non-negative")]
    [InlineData("{\"a\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unsupported dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "overlap")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "not a string")]
    [InlineData("[1]", "not a JSON object")]
    public void HostileHeadersGiveAClearError(string header, string expected)
    {
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        string path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[8]]);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => SafeTensorsFile.Read(path));
            Assert.Contains(expected, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void InvalidUtf8InTheHeaderGivesAClearError()
    {
        byte[] json = [.. "{\"a"u8, 0xff, .. "\":{}}"u8];
        string path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json]);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => SafeTensorsFile.Read(path));
            Assert.Contains("not valid UTF-8", e.Message);
        }
        finally { File.Delete(path); }
    }
}
