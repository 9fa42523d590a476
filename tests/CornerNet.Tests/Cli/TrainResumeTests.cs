using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: <c>train --resume RUN</c> takes its dataset from the run folder (a moved copy given again must hold the
/// same images); a run folder never is, contains or lies inside the data it trains on (symbolic links followed); and
/// <c>--overwrite</c> replaces only the files a run wrote, never a user's.
/// </summary>
public sealed class TrainResumeTests : IDisposable
{
    readonly ScratchFolder _scratch = new();

    public TrainResumeTests() => _scratch.MakeModelAndData();

    public void Dispose() => _scratch.Dispose();

    string P(params string[] parts) => _scratch.P(parts);

    static readonly string[] Small = ["--preset", "tiny", "--batch-size", "2", "--workers", "1", "--threads", "1"];

    [Fact]
    public void ResumeAsTheReadmeWritesItNeedsNoDatasetOptions()
    {
        ScratchFolder.AssertRuns(["train", "--data", P("data"), "--iterations", "1", "--out", P("run"), .. Small]);
        Assert.True(File.Exists(P("run", "dataset.json")));
        string output = ScratchFolder.AssertRuns("train", "--resume", P("run"), "--iterations", "2");
        Assert.Contains("done", output);
        Assert.Equal(3, File.ReadAllLines(P("run", "losses.csv")).Length);
        _scratch.AssertNoTemporaryFiles();
    }

    [Fact]
    public void AMovedDatasetIsGivenAgainAndMustHoldTheSameImages()
    {
        ScratchFolder.AssertRuns(["train", "--data", P("data"), "--iterations", "1", "--out", P("run"), .. Small]);
        Directory.Move(P("data"), P("moved"));
        // The recorded place is gone: one line saying where to point.
        string error = _scratch.AssertRefused(P("data", "annotations.json"), "train", "--resume", P("run"),
            "--iterations", "2");
        Assert.Contains("--data", error);
        // Another dataset (other images) is refused.
        SyntheticShapesDataset.Write(P("other"), images: 4, seed: 1, new SyntheticShapes(size: 64, maxObjects: 2));
        error = _scratch.AssertRefused(P("other", "annotations.json"), "train", "--resume", P("run"), "--data",
            P("other"), "--iterations", "2");
        Assert.Contains("4 images against the run's 3", error);
        // The moved copy is accepted, and recorded for the next resume.
        ScratchFolder.AssertRuns("train", "--resume", P("run"), "--data", P("moved"), "--iterations", "2");
        ScratchFolder.AssertRuns("train", "--resume", P("run"), "--iterations", "3");
        _scratch.AssertNoTemporaryFiles();
    }

    [Fact]
    public void ARunFolderWithoutADatasetRecordAsksForTheDatasetOnceAndRecordsIt()
    {
        ScratchFolder.AssertRuns(["train", "--data", P("data"), "--iterations", "1", "--out", P("run"), .. Small]);
        // A run folder written before the record was kept.
        File.Delete(P("run", "dataset.json"));
        string error = _scratch.AssertRefused(P("run"), "train", "--resume", P("run"), "--iterations", "2");
        Assert.Contains("--data", error);
        ScratchFolder.AssertRuns("train", "--resume", P("run"), "--data", P("data"), "--iterations", "2");
        Assert.True(File.Exists(P("run", "dataset.json")));
        ScratchFolder.AssertRuns("train", "--resume", P("run"), "--iterations", "3");
    }

    [Theory]
    [InlineData("data")]
    [InlineData("data/images")]
    [InlineData("data/run")]
    [InlineData(".")]
    [InlineData("link")]
    [InlineData("link/run")]
    public void ARunFolderOverlappingTheDatasetIsRefused(string output)
    {
        Directory.CreateSymbolicLink(P("link"), P("data"));
        string path = output == "." ? _scratch.Root : P([.. output.Split('/')]);
        string error = _scratch.AssertRefused(path, ["train", "--data", P("data"), "--iterations", "1", "--out",
            path, "--overwrite", .. Small]);
        Assert.Contains("overlaps", error);
        // Through --annotations and --images as well.
        _scratch.AssertRefused(path, ["train", "--annotations", P("data", "annotations.json"),
            "--images", P("data", "images"), "--iterations", "1", "--out", path, "--overwrite", .. Small]);
    }

    [Fact]
    public void OverwriteReplacesOnlyTheRunsOwnFiles()
    {
        // A folder with a user's file that train would write: refused, naming it.
        Directory.CreateDirectory(P("run"));
        File.WriteAllText(P("run", "losses.csv"), "the user's numbers");
        File.WriteAllText(P("run", "notes.txt"), "keep me");
        string error = _scratch.AssertRefused(P("run"), ["train", "--data", P("data"), "--iterations", "1", "--out",
            P("run"), "--overwrite", .. Small]);
        Assert.Contains("losses.csv", error);
        Assert.DoesNotContain("notes.txt", error);

        // Without the foreign file the run writes, lists its files, and keeps the user's other file.
        File.Delete(P("run", "losses.csv"));
        ScratchFolder.AssertRuns(["train", "--data", P("data"), "--iterations", "1", "--out", P("run"),
            "--overwrite", .. Small]);
        Assert.Equal("keep me", File.ReadAllText(P("run", "notes.txt")));
        string manifest = File.ReadAllText(P("run", ".cornernet-outputs.json"));
        string[] listed = ["model.safetensors", "losses.csv", "dataset.json", "train_options.json", "tensorboard/"];
        Assert.All(listed, name => Assert.Contains(name, manifest));
        Assert.DoesNotContain("notes.txt", manifest);
        _scratch.AssertNoTemporaryFiles();
    }
}
