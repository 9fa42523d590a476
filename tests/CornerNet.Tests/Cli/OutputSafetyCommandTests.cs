using System.Diagnostics;
using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 15, output side, through the CLI: outputs never land on inputs, existing outputs and run folders are replaced
/// only with --overwrite, run folders are locked, unwritable outputs are refused before the work, --resume refuses
/// changed options, numeric options are range-checked, unknown options are named, Ctrl-C exits 130. Each refusal is
/// exit 2 with one line that names the file, no stack trace, nothing existing changed and no temporary file left.
/// </summary>
public sealed class OutputSafetyCommandTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-output").FullName;
    static readonly string Model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    public void Dispose() => Directory.Delete(_root, true);

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    /// <summary>A 3-image 64-pixel shapes dataset in data/ and the shipped tiny model copied to model.safetensors.</summary>
    void MakeModelAndData()
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed: 9, new SyntheticShapes(size: 64, maxObjects: 2));
        File.Copy(Model, P("model.safetensors"));
    }

    Dictionary<string, string> Checksums() => CliRunner.Checksums(_root);

    static void AssertOneLineError(int code, string error, string file) => CliRunner.AssertOneLineError(code, error, file);

    void AssertNoTemporaryFiles()
    {
        Assert.Empty(Directory.GetFiles(_root, "*.tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_root, ".lock", SearchOption.AllDirectories));
    }

    /// <summary>Runs a command that must be refused: exit 2, one line naming <paramref name="file"/>, nothing changed, nothing left.</summary>
    void AssertRefused(string file, params string[] args)
    {
        var before = Checksums();
        var folders = Directory.GetDirectories(_root, "*", SearchOption.AllDirectories);
        var (code, _, error) = CliRunner.Run(args);
        AssertOneLineError(code, error, file);
        Assert.Equal(before, Checksums());
        Assert.Equal(folders, Directory.GetDirectories(_root, "*", SearchOption.AllDirectories));
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void DetectRefusesToDrawOverItsOwnInputImages()
    {
        MakeModelAndData();
        AssertRefused(P("data", "images", "000001.png"),
            "detect", P("model.safetensors"), P("data", "images", "000001.png"), P("data", "images", "000002.png"), "--out", P("data", "images"));
    }

    [Fact]
    public void DetectGivesSameNamedInputsFromDifferentFoldersTheirOwnDrawings()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("a"));
        Directory.CreateDirectory(P("b"));
        File.Copy(P("data", "images", "000001.png"), P("a", "x.png"));
        File.Copy(P("data", "images", "000002.png"), P("b", "x.png"));
        var (code, _, error) = CliRunner.Run("detect", P("model.safetensors"), P("a", "x.png"), P("b", "x.png"), "--out", P("drawn"));
        Assert.True(code == 0, error);
        Assert.Equal(new[] { "x-2.png", "x.png" }, Directory.GetFiles(P("drawn")).Select(f => Path.GetFileName(f)).Order().ToArray());
        Assert.NotEqual(File.ReadAllBytes(P("drawn", "x.png")), File.ReadAllBytes(P("drawn", "x-2.png")));
    }

    [Fact]
    public void DetectReplacesAnExistingDrawingOrJsonOnlyWithOverwrite()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("drawn"));
        File.WriteAllText(P("drawn", "000001.png"), "an earlier drawing");
        File.WriteAllText(P("dets.json"), "[]");
        AssertRefused(P("drawn", "000001.png"), "detect", P("model.safetensors"), P("data", "images", "000001.png"), "--out", P("drawn"));
        File.Delete(P("drawn", "000001.png"));
        AssertRefused(P("dets.json"), "detect", P("model.safetensors"), P("data", "images", "000001.png"), "--json", P("dets.json"));
        var (code, _, error) = CliRunner.Run("detect", P("model.safetensors"), P("data", "images", "000001.png"), "--json", P("dets.json"), "--overwrite");
        Assert.True(code == 0, error);
        Assert.StartsWith("[", File.ReadAllText(P("dets.json")));
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void ADetectThatFailsMidwayReplacesNoDrawing()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("drawn"));
        File.WriteAllText(P("drawn", "000001.png"), "an earlier drawing");
        // A PNG whose header and end are sound (it passes the pre-flight) but whose pixel data is not.
        var png = File.ReadAllBytes(P("data", "images", "000002.png"));
        int idat = png.AsSpan().IndexOf("IDAT"u8);
        for (int k = idat + 8; k < idat + 40; k++) png[k] ^= 0x5A;
        File.WriteAllBytes(P("bad.png"), png);
        AssertRefused(P("bad.png"), "detect", P("model.safetensors"), P("data", "images", "000001.png"), P("bad.png"), "--out", P("drawn"), "--overwrite");
        Assert.Equal("an earlier drawing", File.ReadAllText(P("drawn", "000001.png")));
    }

    [Fact]
    public void EvaluateRefusesToWriteItsMetricsOverTheGroundTruth()
    {
        MakeModelAndData();
        File.WriteAllText(P("dets.json"), "[]");
        AssertRefused(P("data", "annotations.json"), "evaluate", "--gt", P("data", "annotations.json"), "--dets", P("dets.json"), "--json", P("data", "annotations.json"));
        AssertRefused(P("dets.json"), "evaluate", "--gt", P("data", "annotations.json"), "--dets", P("dets.json"), "--json", P("dets.json"), "--overwrite");
    }

    [Fact]
    public void ConvertExportAndTestRefuseToWriteOverTheirInputs()
    {
        MakeModelAndData();
        AssertRefused(P("model.safetensors"), "convert", P("model.safetensors"), "--out", P("model.safetensors"), "--overwrite");
        AssertRefused(P("model.safetensors"), "export", P("model.safetensors"), "--out", P("model.safetensors"));
        AssertRefused(P("data", "annotations.json"), "test", P("model.safetensors"), "--gt", P("data", "annotations.json"), "--images", P("data", "images"),
            "--json", P("data", "annotations.json"), "--metrics", P("m.json"), "--plot", P("pr.png"), "--overwrite");
    }

    [Fact]
    public void SynthRefusesAnExistingDataset()
    {
        MakeModelAndData();
        AssertRefused(P("data"), "synth", "--out", P("data"), "--images", "2", "--size", "64");
    }

    [Fact]
    public void TrainAndQuickstartNeverWriteIntoANonEmptyFolderWithoutOverwrite()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("run"));
        File.Copy(P("model.safetensors"), P("run", "model.safetensors"));
        AssertRefused(P("run"), "train", "--data", P("data"), "--iterations", "1", "--batch-size", "2", "--workers", "1", "--out", P("run"));
        AssertRefused(P("run"), "quickstart", "--minutes", "0.1", "--train-images", "4", "--val-images", "2", "--out", P("run"));
    }

    [Fact]
    public void ARunFolderHeldByAnotherWriterIsRefusedInOneLine()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("run"));
        // The other writer: an exclusive OS lock on the run folder's lock file, as a running train holds it.
        using (new FileStream(P("run", ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (code, _, error) = CliRunner.Run("train", "--data", P("data"), "--iterations", "1", "--batch-size", "2", "--workers", "1", "--out", P("run"));
            AssertOneLineError(code, error, P("run"));
            Assert.Contains("in use", error);
            Assert.Equal([P("run", ".lock")], Directory.GetFiles(P("run")));
        }
    }

    [Theory]
    [InlineData("detect", "json")]
    [InlineData("test", "json")]
    [InlineData("evaluate", "json")]
    [InlineData("convert", "file")]
    [InlineData("export", "file")]
    [InlineData("synth", "folder")]
    [InlineData("train", "folder")]
    [InlineData("quickstart", "folder")]
    public void AnUnwritableOutputIsRefusedBeforeTheWorkStarts(string command, string kind)
    {
        MakeModelAndData();
        File.WriteAllText(P("data", "dets.json"), "[]");
        // Below a file: no user, root included, can create it (a read-only folder does not stop root).
        string output = P("model.safetensors", kind == "json" ? "out.json" : kind == "file" ? "out.model" : "run");
        string[] args = command switch
        {
            "detect" => ["detect", P("model.safetensors"), P("data", "images", "000001.png"), "--json", output],
            "test" => ["test", P("model.safetensors"), "--gt", P("data", "annotations.json"), "--images", P("data", "images"), "--json", output,
                "--metrics", P("m.json"), "--plot", P("pr.png")],
            "evaluate" => ["evaluate", "--gt", P("data", "annotations.json"), "--dets", P("data", "dets.json"), "--json", output],
            "convert" => ["convert", P("model.safetensors"), "--out", output],
            "export" => ["export", P("model.safetensors"), "--out", output],
            "synth" => ["synth", "--out", output, "--images", "2"],
            "train" => ["train", "--data", P("data"), "--iterations", "1", "--out", output],
            _ => ["quickstart", "--minutes", "0.1", "--out", output],
        };
        AssertRefused(output, args);
        Assert.False(File.Exists(P("m.json")) || File.Exists(P("pr.png")));
    }

    [Fact]
    public void ResumeRefusesOptionsThatConflictWithTheRunAndAcceptsThoseThatMayChange()
    {
        MakeModelAndData();
        var (code, _, error) = CliRunner.Run("train", "--data", P("data"), "--iterations", "1", "--batch-size", "2", "--workers", "1", "--out", P("run"));
        Assert.True(code == 0, error);
        AssertRefused(P("run"), "train", "--data", P("data"), "--resume", P("run"), "--iterations", "2", "--lr", "0.001", "--seed", "5", "--no-augment");
        (_, _, error) = CliRunner.Run("train", "--data", P("data"), "--resume", P("run"), "--lr", "0.001", "--seed", "5", "--no-augment");
        Assert.Contains("--lr 0.001", error);
        Assert.Contains("--seed 5", error);
        Assert.Contains("--no-augment", error);
        // A run stopped on a missing image continues with --skip-bad-images (and may be extended, on other threads and workers).
        File.Delete(P("data", "images", "000003.png"));
        (code, var output, error) = CliRunner.Run("train", "--data", P("data"), "--resume", P("run"), "--iterations", "2",
            "--skip-bad-images", "--threads", "1", "--workers", "1", "--batch-size", "2");
        Assert.True(code == 0, error);
        Assert.Contains("000003.png", error);
        Assert.Contains("done", output);
        AssertNoTemporaryFiles();
    }

    [Theory]
    [InlineData("--scales", "1000")]
    [InlineData("--scales", "0.0001")]
    [InlineData("--threshold", "NaN")]
    [InlineData("--threshold", "-1")]
    [InlineData("--threshold", "2")]
    [InlineData("--threads", "100000")]
    [InlineData("--max-image-megapixels", "-5")]
    [InlineData("--lr", "Infinity")]
    [InlineData("--lr", "-0.1")]
    [InlineData("--radius-value", "-3")]
    [InlineData("--lr-factor", "-1")]
    [InlineData("--lr-step", "-10")]
    [InlineData("--workers", "-1")]
    [InlineData("--validate-every", "-1")]
    [InlineData("--batch-size", "0")]
    [InlineData("--iterations", "0")]
    [InlineData("--minutes", "-1")]
    [InlineData("--size", "8")]
    [InlineData("--opset", "99")]
    public void ANumericOptionOutOfItsRangeIsAOneLineErrorBeforeAnyWork(string option, string value)
    {
        MakeModelAndData();
        string[] args = option switch
        {
            "--scales" or "--threshold" or "--max-image-megapixels" => ["detect", P("model.safetensors"), P("data", "images", "000001.png"), "--out", P("drawn")],
            "--minutes" => ["quickstart", "--out", P("run")],
            "--size" => ["synth", "--out", P("run")],
            "--opset" => ["export", P("model.safetensors"), "--out", P("m.onnx")],
            _ => ["train", "--data", P("data"), "--out", P("run")],
        };
        AssertRefused(option, [.. args, option, value]);
    }

    [Fact]
    public void AMistypedOptionIsReportedAsAnUnknownOption()
    {
        MakeModelAndData();
        var (code, _, error) = CliRunner.Run("detect", P("model.safetensors"), P("data", "images", "000001.png"), "--treshold", "0.5");
        AssertOneLineError(code, error, "--treshold");
        Assert.Contains("unknown option", error);
        Assert.DoesNotContain("not found", error);
    }

    [Fact]
    public void DetectPrintsTheCountOfWhatItListsAndSaysWhatTheShapesModelKnows()
    {
        MakeModelAndData();
        var (code, output, error) = CliRunner.Run("detect", P("model.safetensors"), P("data", "images", "000001.png"), "--threshold", "0");
        Assert.True(code == 0, error);
        var line = output.Split('\n').Single(l => l.StartsWith("000001.png: "));
        int count = int.Parse(line.Split(' ')[1]);
        int listed = line.Split(" — ")[1].Split(", ").Count(p => !p.StartsWith("and "));
        int more = line.Contains(", and ") ? int.Parse(line.Split(", and ")[1].Split(' ')[0]) : 0;
        Assert.Equal(count, listed + more);
        Assert.Contains("synthetic shapes", error);
        Assert.Contains("CornerNet_500000.pkl", error);
        Assert.Contains("cornernet convert", error);
    }

    [Fact]
    public void HelpNamesTheToolCornernet()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("cornernet [command]", output);
        Assert.DoesNotContain("CornerNet.Cli", output);
    }

    [SignalableCliFact]
    public void CtrlCEndsTrainingWithExitCode130AfterSavingACheckpoint()
    {
        string cli = SignalableCliFactAttribute.Cli;
        MakeModelAndData();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "train", "--data", P("data"), "--iterations", "200", "--batch-size", "1", "--workers", "1", "--threads", "1", "--out", P("run") })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("it ")) { }
        Assert.NotNull(line);
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) kill.WaitForExit();
        string rest = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("stopped at iteration", rest);
        Assert.True(File.Exists(P("run", "checkpoint.safetensors")));
        AssertNoTemporaryFiles();
    }
}

/// <summary>A test that runs the CLI as a child process and sends it SIGINT: skipped without the CLI beside the tests or without kill.</summary>
public sealed class SignalableCliFactAttribute : FactAttribute
{
    /// <summary>The CLI assembly copied beside the tests by the project reference.</summary>
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "CornerNet.Cli.dll");

    /// <summary>Sets Skip when the test cannot run here.</summary>
    public SignalableCliFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "SIGINT is POSIX-only";
        else if (!File.Exists(Cli)) Skip = $"CornerNet.Cli.dll not found beside the tests ({AppContext.BaseDirectory})";
        else if (!File.Exists("/bin/kill") && !File.Exists("/usr/bin/kill")) Skip = "the kill program is not installed";
    }
}
