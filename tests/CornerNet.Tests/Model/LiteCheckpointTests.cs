using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Model;

/// <summary>Import of checkpoints in the CornerNet-Lite layouts other than the Squeeze fixture.</summary>
public class LiteCheckpointTests
{
    /// <summary>An original-name key under the Lite repository's CornerNet names (core/models/CornerNet.py).</summary>
    static string ToLiteName(string key)
    {
        foreach (var (original, lite) in new[]
        {
            ("pre.", "hg.pre."), ("kps.", "hg.hgs."), ("cnvs.", "hg.cnvs."), ("inters.", "hg.inters."), ("inters_.", "hg.inters_."),
            ("cnvs_.", "hg.cnvs_."), ("tl_cnvs.", "tl_modules."), ("br_cnvs.", "br_modules."), ("tl_regrs.", "tl_offs."), ("br_regrs.", "br_offs."),
        })
            if (key.StartsWith(original, StringComparison.Ordinal)) return lite + key[original.Length..];
        return key;
    }

    [Fact]
    public void LiteCornerNetLayoutLoadsAsTheHourglassFamily()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-lite").FullName;
        try
        {
            using var scope = NewDisposeScope();
            manual_seed(3);
            using var original = new CornerNetModel(ModelPresets.Tiny);
            string path = Path.Combine(dir, "lite_cornernet.safetensors");
            SafeTensorsFile.Write(path, original.state_dict().ToDictionary(p => "module." + ToLiteName(p.Key), p => p.Value));
            Assert.Contains("module.hg.hgs.0.up1.0.conv1.weight", SafeTensorsFile.Read(path).Tensors.Select(t => t.Name));

            var (model, _) = CheckpointConverter.Import(path);
            using (model)
            {
                Assert.Equal(CornerNetConfig.HourglassFamily, model.Config.Family);
                Assert.Equal(ModelPresets.Tiny.Dims, model.Config.Dims);
                var expected = original.state_dict();
                foreach (var (name, tensor) in model.state_dict())
                    Assert.True(tensor.Equals(expected[name]), $"{name} differs");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void UnknownLayoutNamesWhatWasFound()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["backbone.conv1.weight"] = zeros(8, 3, 3, 3), ["fc.bias"] = zeros(10) };
        var error = Assert.Throws<WeightFileException>(() => ArchitectureInference.Infer(tensors, "resnet.pth"));
        Assert.Contains("'backbone.conv1.weight'", error.Message);
        Assert.Contains("hg.hgs", error.Message);
    }
}
