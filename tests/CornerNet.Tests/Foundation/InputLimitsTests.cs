using System.IO.Compression;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Tests.Foundation;

/// <summary>Sizes read from files other than images (JSON, model configs) and the inference size limit.</summary>
public class InputLimitsTests
{
    [Fact]
    public void GzipExpansionStopsAtTheLimit()
    {
        string dir = Directory.CreateTempSubdirectory("json-limits").FullName;
        try
        {
            // 8 MB of spaces compress to a few kilobytes: a small "gzip bomb" against a 1 MB limit.
            string bomb = Path.Combine(dir, "dets.json.gz");
            using (var gzip = new GZipStream(File.Create(bomb), CompressionLevel.SmallestSize))
            {
                gzip.Write("["u8);
                gzip.Write(new byte[8 << 20].Select(_ => (byte)' ').ToArray());
                gzip.Write("]"u8);
            }
            Assert.True(new FileInfo(bomb).Length < 100_000);
            var limits = new InputLimits { MaxJsonBytes = 1 << 20 };
            var e = Assert.Throws<InvalidInputException>(() => CocoDetectionsFile.Read(bomb, limits));
            Assert.Equal($"{bomb}: JSON is more than 1048576 bytes once decompressed, above the limit of 1048576 bytes (InputLimits.MaxJsonBytes)", e.Message);
            Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(bomb, limits));
            Assert.Empty(CocoDetectionsFile.Read(bomb).Detections);   // the default limit is far above 8 MB

            string plain = Path.Combine(dir, "gt.json");
            File.WriteAllText(plain, "[" + new string(' ', 2 << 20) + "]");
            Assert.Contains("above the limit", Assert.Throws<InvalidInputException>(() => CocoDetectionsFile.Read(plain, limits)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ConvolutionWeightCountMatchesTheBuiltNetworks()
    {
        // Hourglass-104 has 201,035,212 parameters; convolution weights are all but the biases and BatchNorm.
        Assert.InRange(ModelPresets.Hourglass104.ConvolutionWeights(), 199e6, 201.1e6);
        foreach (var name in new[] { "tiny", "small" })
        {
            var config = ModelPresets.Get(name);
            using var model = new CornerNetModel(config);
            double weights = model.named_parameters().Where(p => p.parameter.dim() == 4).Sum(p => (double)p.parameter.numel());
            Assert.Equal(weights, config.ConvolutionWeights());
        }
    }

    [Fact]
    public void ConfigSizesAreBounded()
    {
        var e = Assert.Throws<InvalidInputException>(() => (ModelPresets.Hourglass104 with { Stacks = 1_000_000 }).Validate("cfg.json"));
        Assert.Equal("cfg.json: model config: stacks 1000000 is not between 1 and 16", e.Message);
        Assert.Throws<InvalidInputException>(() => (ModelPresets.Hourglass104 with { Levels = 40 }).Validate("cfg.json"));
        Assert.Throws<InvalidInputException>(() => (ModelPresets.Hourglass104 with { Classes = 10_000_000 }).Validate("cfg.json"));
        Assert.Throws<InvalidInputException>(() => (ModelPresets.Hourglass104 with { Modules = [2, 2, 2, 2, 2, 1000] }).Validate("cfg.json"));
        var wide = ModelPresets.Hourglass104 with { Stem = [128, 8192], Dims = [8192, 8192, 8192, 8192, 8192, 8192] };
        Assert.Contains("billion weights", Assert.Throws<InvalidInputException>(() => wide.Validate("cfg.json")).Message);
        var unknown = Assert.Throws<InvalidInputException>(() => CornerNetConfig.FromJson("{\"stacks\": 1, \"cnv\": 256}", "cfg.json"));
        Assert.StartsWith("cfg.json: model config: unknown key 'cnv' (known keys: ", unknown.Message);
        Assert.Contains("stacks", unknown.Message);
    }

    [Fact]
    public void AnImageAboveMaxSizeIsDownscaledAndItsBoxesMappedBack()
    {
        var seen = new List<long[]>();
        // Stands in for network + decoder: one box over the whole output map, whatever the input size.
        Tensor WholeMap(Tensor batch)
        {
            seen.Add(batch.shape);
            float outH = (batch.shape[2] + 1) / 4, outW = (batch.shape[3] + 1) / 4;
            return tensor(new float[] { 0, 0, outW, outH, 0.9f, 0.9f, 0.9f, 0 }, [1, 1, 8]);
        }
        var image = new BgrImage(1000, 500);
        foreach (int? maxSize in new int?[] { 250, null })
        {
            seen.Clear();
            var pipeline = DetectionPipeline.FromDecodedBatches(WholeMap, 1, new DetectionOptions { Flip = false, MaxSize = maxSize });
            var box = Assert.Single(pipeline.Detect(image));
            Assert.Equal(maxSize is null ? new long[] { 1, 3, 511, 1023 } : new long[] { 1, 3, 127, 255 }, seen.Single());
            Assert.Equal(0, box.X1, 0.01);
            Assert.Equal(0, box.Y1, 0.01);
            Assert.Equal(1000, box.X2, 0.01);
            Assert.Equal(500, box.Y2, 0.01);
        }
        Assert.Equal(0.25, new DetectionOptions { MaxSize = 250 }.DownscaleFactor(1000, 500));
        Assert.Equal(1.0, new DetectionOptions { MaxSize = 250 }.DownscaleFactor(250, 100));
    }

    [Fact]
    public void DatasetImagesAreCheckedFromTheirHeadersAndBadOnesCanBeLeftOut()
    {
        string dir = Directory.CreateTempSubdirectory("dataset-check").FullName;
        try
        {
            SyntheticShapesDataset.Write(dir, images: 4, seed: 2, new SyntheticShapes(size: 64, maxObjects: 2));
            var dataset = CocoDataset.Open(Path.Combine(dir, "annotations.json"), Path.Combine(dir, "images"));
            File.Delete(dataset.ImagePath(1));
            File.WriteAllBytes(dataset.ImagePath(3), Data.TestImageFiles.PngClaiming(40000, 10));
            var problems = dataset.CheckImages();
            Assert.Equal(new[] { 1, 3 }, problems.Select(p => p.Index).ToArray());
            Assert.Equal(dataset.ImagePath(1), problems[0].Problem.FilePath);
            var kept = dataset.Without(problems.Select(p => p.Index).ToArray());
            Assert.Equal(2, kept.Count);
            Assert.Empty(kept.CheckImages());
            Assert.All(kept.Annotations.Annotations, a => Assert.Contains(a.ImageId, kept.Annotations.ImageById.Keys));
        }
        finally { Directory.Delete(dir, true); }
    }
}
