using System.Text.Json;
using System.Text.Json.Nodes;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Tests.Data;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 15, input side, through the CLI: images whose headers claim huge sizes, bad images in lists and datasets
/// (found before any work), --max-size, hostile model metadata and weights. Each failure is exit 2 with one line that
/// names the file, no stack trace, nothing existing changed and no temporary file left behind.
/// </summary>
public sealed class HostileInputCommandTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-hostile").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    /// <summary>A 3-image shapes dataset and a random tiny model for it.</summary>
    string MakeModelAndData()
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed: 9, new SyntheticShapes(size: 96, maxObjects: 3));
        manual_seed(0);
        using var model = new CornerNetModel(ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count });
        string path = P("model.safetensors");
        ModelFile.Save(path, model, SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());
        return path;
    }

    Dictionary<string, string> Checksums() => CliRunner.Checksums(_root);

    static void AssertOneLineError(int code, string error, string file) => CliRunner.AssertOneLineError(code, error, file);

    void AssertNoTemporaryFiles() =>
        Assert.Empty(Directory.GetFiles(_root, "*.tmp*", SearchOption.AllDirectories));

    [Fact]
    public void DetectRefusesAHeaderClaimingAHugeImageBeforeWritingAnything()
    {
        string model = MakeModelAndData();
        string huge = P("huge.png");
        File.WriteAllBytes(huge, TestImageFiles.PngClaiming(33000, 33000));
        var before = Checksums();
        var (code, _, error) = CliRunner.Run("detect", model, P("data", "images", "000001.png"), huge,
            "--out", P("drawn"), "--json", P("dets.json"));
        AssertOneLineError(code, error, huge);
        Assert.Contains("limit", error);
        Assert.False(Directory.Exists(P("drawn")));
        Assert.False(File.Exists(P("dets.json")));
        Assert.Equal(before, Checksums());
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void DetectSkipBadImagesListsThemByNameAndDetectsTheRest()
    {
        string model = MakeModelAndData();
        string huge = P("huge.bmp"), missing = P("missing.png");
        var bmp = TestImageFiles.Encode("bmp");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 50000);
        File.WriteAllBytes(huge, bmp);
        var (code, output, error) = CliRunner.Run("detect", model, P("data", "images", "000001.png"), missing, huge,
            P("data", "images", "000002.png"), "--skip-bad-images", "--threshold", "0", "--out", P("drawn"), "--json", P("dets.json"));
        Assert.True(code == 0, error);
        Assert.Contains($"skipping {missing}: image file not found", error);
        Assert.Contains($"skipping {huge}: image is 50000×24", error);
        Assert.Equal(new[] { "000001.png", "000002.png" }, Directory.GetFiles(P("drawn")).Select(f => Path.GetFileName(f)!).Order().ToArray());
        using var doc = JsonDocument.Parse(File.ReadAllText(P("dets.json")));
        // Image ids stay the positions in the list given, so the skipped ones leave gaps.
        Assert.All(doc.RootElement.EnumerateArray(), d => Assert.Contains(d.GetProperty("image_id").GetInt64(), new long[] { 1, 4 }));
        Assert.Contains("000002.png:", output);
    }

    [Fact]
    public void DetectDownscalesAnImageAboveMaxSizeWithANoticeAndBoxesInTheOriginalPixels()
    {
        string model = MakeModelAndData();
        var wide = new BgrImage(600, 300);
        new Random(3).NextBytes(wide.Pixels);
        string path = P("wide.png");
        ImageEncoder.SavePng(wide, path);
        var (code, _, error) = CliRunner.Run("detect", model, path, "--max-size", "128", "--threshold", "0", "--json", P("dets.json"));
        Assert.True(code == 0, error);
        Assert.Contains("note: wide.png: 600×300 downscaled to 128×64 for the network (--max-size 128)", error);
        using var doc = JsonDocument.Parse(File.ReadAllText(P("dets.json")));
        var boxes = doc.RootElement.EnumerateArray().Select(d => d.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        Assert.NotEmpty(boxes);
        Assert.All(boxes, b => Assert.True(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 600.01 && b[1] + b[3] <= 300.01));
        Assert.Contains(boxes, b => b[0] + b[2] > 130);
    }

    [Fact]
    public void TestChecksEveryImageBeforeDetectingAndSkipsNamedOnes()
    {
        string model = MakeModelAndData();
        string bad = P("data", "images", "000002.png");
        File.WriteAllBytes(bad, TestImageFiles.PngClaiming(30000, 30000));
        var before = Checksums();
        string[] args = ["test", model, "--gt", P("data", "annotations.json"), "--images", P("data", "images"),
            "--json", P("dets.json"), "--metrics", P("metrics.json"), "--plot", P("pr.png")];
        var (code, _, error) = CliRunner.Run(args);
        AssertOneLineError(code, error, bad);
        Assert.False(File.Exists(P("dets.json")));
        Assert.Equal(before, Checksums());

        (code, _, error) = CliRunner.Run([.. args, "--skip-bad-images"]);
        Assert.True(code == 0, error);
        Assert.Contains($"skipping {bad}: image is 30000×30000", error);
        Assert.Contains("1 unreadable image(s) skipped and left out of the evaluation", error);
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void TrainStopsOnABadImageBeforeCreatingTheRunFolder()
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed: 9, new SyntheticShapes(size: 96, maxObjects: 3));
        string bad = P("data", "images", "000003.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var (code, _, error) = CliRunner.Run("train", "--data", P("data"), "--iterations", "1", "--batch-size", "2", "--workers", "1", "--out", P("run"));
        AssertOneLineError(code, error, bad);
        Assert.Contains("--skip-bad-images", error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Theory]
    [InlineData("{\"stakcs\": 1}", "unknown key 'stakcs'")]
    [InlineData("{\"stacks\": 1000000}", "stacks 1000000 is not between 1 and 16")]
    [InlineData("{\"stem\": [128, 65536], \"dims\": [65536, 65536, 384, 384, 384, 512]}", "channel width 65536 is above the limit")]
    [InlineData("{\"stem\": [128, 4096], \"dims\": [4096, 4096, 4096, 4096, 4096, 4096], \"modules\": [8, 8, 8, 8, 8, 8]}", "billion weights")]
    public void TrainRefusesAConfigWithUnknownKeysOrHugeSizes(string json, string expected)
    {
        SyntheticShapesDataset.Write(P("data"), images: 2, seed: 9, new SyntheticShapes(size: 96, maxObjects: 3));
        File.WriteAllText(P("config.json"), json);
        var (code, _, error) = CliRunner.Run("train", "--data", P("data"), "--config", P("config.json"), "--iterations", "1", "--out", P("run"));
        AssertOneLineError(code, error, P("config.json"));
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("inf")]
    [InlineData("i8")]
    [InlineData("stacks")]
    [InlineData("unknown-key")]
    public void DetectRefusesAModelFileWithHostileWeightsOrMetadata(string kind)
    {
        string good = MakeModelAndData();
        var file = SafeTensorsFile.Read(good);
        var tensors = file.LoadAll();
        var metadata = file.Metadata.ToDictionary();
        string victim = tensors.Keys.First(k => k.EndsWith(".weight", StringComparison.Ordinal) && tensors[k].dtype == ScalarType.Float32);
        switch (kind)
        {
            case "nan": tensors[victim].view(-1)[3] = tensor(float.NaN); break;
            case "inf": tensors[victim].view(-1)[0] = tensor(float.PositiveInfinity); break;
            case "i8": tensors[victim] = tensors[victim].to_type(ScalarType.Int8); break;
            case "stacks": metadata["config"] = SetConfig(metadata["config"], "stacks", 1_000_000); break;
            case "unknown-key": metadata["config"] = SetConfig(metadata["config"], "cnv_dims", 256); break;
        }
        string hostile = P("hostile.safetensors");
        SafeTensorsFile.Write(hostile, tensors, metadata);
        foreach (var t in tensors.Values) t.Dispose();
        var (code, _, error) = CliRunner.Run("detect", hostile, P("data", "images", "000001.png"), "--json", P("dets.json"));
        AssertOneLineError(code, error, hostile);
        Assert.Contains(kind switch
        {
            "nan" or "inf" => $"tensor '{victim}' holds 1 NaN or infinite value(s)",
            "i8" => $"tensor '{victim}' is stored as Int8",
            "stacks" => "stacks 1000000 is not between 1 and 16",
            _ => "unknown key 'cnv_dims'",
        }, error);
        Assert.False(File.Exists(P("dets.json")));
    }

    static string SetConfig(string json, string key, int value)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node[key] = value;
        return node.ToJsonString();
    }
}
