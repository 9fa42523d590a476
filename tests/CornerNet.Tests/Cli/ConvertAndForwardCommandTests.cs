using System.Text;
using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Cli;

public class ConvertAndForwardCommandTests
{
    [FixtureTheory]
    [InlineData("small_cornernet_legacy.pkl")]
    [InlineData("small_cornernet_zip.pth")]
    public void ConvertedOfficialCheckpointReproducesOfficialHeads(string checkpoint)
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-convert").FullName;
        try
        {
            string model = Path.Combine(dir, "small.safetensors");
            var (code, output, error) = CliRunner.Run("convert", Path.Combine(Fixtures.Reference, checkpoint), "--out", model);
            Assert.True(code == 0, error);
            Assert.Contains("stacks 2, levels 3, dims [32, 32, 48, 64]", output);
            var (config, classes) = ModelFile.ReadHeader(model);
            Assert.Equal(10, config.Classes);
            Assert.Equal("class_1", classes[0].Name);

            string input = Path.Combine(dir, "in.safetensors");
            string heads = Path.Combine(dir, "out.safetensors");
            var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
            using (var scope = NewDisposeScope())
                SafeTensorsFile.Write(input, new Dictionary<string, Tensor> { ["image"] = io.Load("image") });
            (code, _, error) = CliRunner.Run("forward", "--model", model, "--input", input, "--out", heads, "--decode");
            Assert.True(code == 0, error);

            using var check = NewDisposeScope();
            var result = SafeTensorsFile.Read(heads);
            foreach (var name in new[] { "tl_heats", "br_heats", "tl_tags", "br_tags", "tl_regrs", "br_regrs" })
            {
                double tolerance = name.EndsWith("heats") ? 1e-3 : 1e-4;
                double maxDiff = (result.Load(name) - io.Load(name)).abs().max().item<float>();
                Assert.True(maxDiff <= tolerance, $"{checkpoint} {name}: max |Δ| = {maxDiff}");
            }
            // Decoded detections: the same number of valid rows per image as the official decoder (394 and 441).
            var detections = result.Load("detections");
            Assert.Equal(new long[] { 2, 1000, 8 }, detections.shape);
            var valid = detections.select(2, 4).gt(-1).sum(1).data<long>().ToArray();
            Assert.Equal(new long[] { 394, 441 }, valid);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HostilePickleIsRefusedWithExitCode2()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-hostile").FullName;
        try
        {
            // protocol 2: GLOBAL 'os system', then a call: what an attacker's checkpoint would contain.
            var bytes = new List<byte> { 0x80, 0x02 };
            bytes.AddRange(Encoding.ASCII.GetBytes("cos\nsystem\n"));
            bytes.AddRange(new byte[] { (byte)'X', 4, 0, 0, 0 });
            bytes.AddRange(Encoding.ASCII.GetBytes("echo"));
            bytes.AddRange(new byte[] { 0x85, (byte)'R', (byte)'.' });
            string path = Path.Combine(dir, "evil.pkl");
            File.WriteAllBytes(path, bytes.ToArray());
            var (code, _, error) = CliRunner.Run("convert", path, "--out", Path.Combine(dir, "out.safetensors"));
            Assert.Equal(2, code);
            Assert.Contains("evil.pkl", error);
            Assert.Contains("os", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(dir, "out.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MissingModelFileGivesExitCode2()
    {
        var (code, _, error) = CliRunner.Run("forward", "--model", "/nonexistent/m.safetensors", "--input", "/nonexistent/i.safetensors", "--out", "/tmp/x.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("m.safetensors", error);
    }
}
