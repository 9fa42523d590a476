using CornerNet.Cli.Commands;
using CornerNet.Data;
using CornerNet.Distributed;
using CornerNet.Tests.Distributed;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27, messages: each refusal is one line (exit 2, no stack trace) that names the file and says what to do — a
/// JSON file that is not UTF-8 (byte offset), an image too elongated to downscale (<c>--max-size 0</c>), an image
/// above <c>--max-image-megapixels</c> (real megapixels), a folder named like an image ("is a directory"), an MPI
/// library that does not load (its path and the loader's reason), running out of managed memory (what was being read
/// or computed); and the shipped model's note is one short line, once per run.
/// </summary>
public sealed class InputMessageTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-messages").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    static string ShippedModel => Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    static string Sample => Path.Combine(Fixtures.RepoRoot, "samples", "images", "000001.png");

    [Fact]
    public void GroundTruthWithALatin1ByteNamesTheFileAndTheByteOffset()
    {
        string gt = P("gt.json");
        // A category "Café" with é as the Latin-1 byte 0xE9, at byte offset 71 of line 1 (reading the name used to
        // end in a stack trace: "Cannot transcode invalid UTF-8").
        byte[] head = "{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"Caf"u8.ToArray();
        File.WriteAllBytes(gt, [.. head, 0xE9, .. "\"}]}"u8]);
        File.WriteAllText(P("dets.json"), "[]");
        var (code, _, error) = CliRunner.Run("evaluate", "--gt", gt, "--dets", P("dets.json"));
        CliRunner.AssertOneLineError(code, error, gt);
        Assert.Contains("byte 0xE9 at byte offset 71 (line 1) is not valid UTF-8", error);
        Assert.DoesNotContain("transcode", error);
    }

    [Fact]
    public void AModelConfigThatIsNotUtf8NamesTheFileAndTheByteOffset()
    {
        string config = P("config.json");
        // A lone continuation byte 0xA0 after "hourglass", at byte offset 46 of line 3.
        byte[] head = "{\n  \"stem\": [128, 256],\n  \"family\": \"hourglass"u8.ToArray();
        File.WriteAllBytes(config, [.. head, 0xA0, .. "\"\n}"u8]);
        var (code, _, error) = CliRunner.Run("train", "--data", Path.Combine(Fixtures.RepoRoot, "samples"), "--config",
            config, "--out", P("run"), "--iterations", "1");
        CliRunner.AssertOneLineError(code, error, config);
        Assert.Contains("byte 0xA0 at byte offset 46 (line 3) is not valid UTF-8", error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Fact]
    public void AnImageTooElongatedToDownscalePointsToMaxSize0()
    {
        string image = P("strip.png");
        ImageEncoder.SavePng(new BgrImage(1, 20000), image);
        var (code, output, error) = CliRunner.Run("detect", ShippedModel, image);
        CliRunner.AssertOneLineError(code, error, image);
        Assert.Contains("1×20000 image is too elongated", error);
        Assert.Contains("--max-size 0", error);
        Assert.Empty(output);
        // The advice works: at full size the strip is detected.
        var (fullCode, fullOutput, fullError) = CliRunner.Run("detect", ShippedModel, image, "--max-size", "0");
        Assert.True(fullCode == 0, fullError);
        Assert.StartsWith("strip.png: ", fullOutput);
    }

    [Fact]
    public void MaxImageMegapixelsReportsTheRealMegapixelsWithDecimals()
    {
        var (code, _, error) = CliRunner.Run("detect", ShippedModel, Sample, "--max-image-megapixels", "0.0001");
        CliRunner.AssertOneLineError(code, error, Sample);
        Assert.Contains("image is 127×127 = 0.016129 megapixels, above the limit of 0.0001", error);
        Assert.Contains("--max-image-megapixels", error);
    }

    [Fact]
    public void AFolderNamedLikeAnImageIsADirectoryNotAccessDenied()
    {
        string folder = Directory.CreateDirectory(P("x.jpg")).FullName;
        var (code, _, error) = CliRunner.Run("detect", ShippedModel, folder);
        CliRunner.AssertOneLineError(code, error, folder);
        Assert.Contains("is a directory", error);
        Assert.DoesNotContain("denied", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheShapesModelNoteIsOneShortLineOncePerRun()
    {
        var (code, _, error) = CliRunner.Run("detect", ShippedModel, Sample, Sample, Sample);
        Assert.Equal(0, code);
        string note = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(DetectCommand.ShapesNote, note);
        Assert.True(note.Length < 100, note);
    }

    [LinuxCliFact]
    public void AnMpiLibraryThatDoesNotLoadIsNamedWithTheLoadersReason()
    {
        var result = MpiProcess.Run("dotnet", [MpiProcess.Cli, "test", P("model.safetensors"), "--gt", P("gt.json"),
            "--images", P("images")], TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "2",
            [MpiCommunicator.LibraryVariable] = "/nonexistent/libmpi.so",
        });
        CliRunner.AssertOneLineError(result.ExitCode, result.Err, "/nonexistent/libmpi.so");
        Assert.Contains("/nonexistent/libmpi.so: cannot open shared object file: No such file or directory",
            result.Err);
        Assert.DoesNotContain("()", result.Err);
    }

    /// <summary>The CLI with its managed heap capped at 128 MB (DOTNET_GCHeapHardLimit).</summary>
    static MpiProcess.Result RunWithSmallHeap(params string[] args) =>
        MpiProcess.Run("dotnet", [MpiProcess.Cli, .. args], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x8000000" });

    [LinuxCliFact]
    public void RunningOutOfMemoryWhileReadingNamesTheFileInOneLine()
    {
        // 512 MB (sparse), under the 1 GiB JSON limit but above the heap: reading it runs out of managed memory.
        string gt = P("gt.json");
        using (var file = File.Create(gt)) file.SetLength(512L << 20);
        File.WriteAllText(P("dets.json"), "[]");
        var result = RunWithSmallHeap("evaluate", "--gt", gt, "--dets", P("dets.json"));
        CliRunner.AssertOneLineError(result.ExitCode, result.Err, gt);
        Assert.Contains($"out of memory while reading this file ({512L << 20} bytes)", result.Err);
    }

    [LinuxCliFact]
    public void RunningOutOfMemoryWhileComputingNamesTheStepInOneLine()
    {
        // One 8192×8192 synthetic image is 201 MB of pixels, above the heap.
        var result = RunWithSmallHeap("synth", "--out", P("shapes"), "--images", "1", "--size", "8192");
        Assert.Equal(2, result.ExitCode);
        string line = Assert.Single(result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("cornernet: out of memory in ", line);
        Assert.Contains("free memory", line);
        Assert.DoesNotContain("Exception", result.Err);
        Assert.DoesNotContain("   at ", result.Err);
    }
}
