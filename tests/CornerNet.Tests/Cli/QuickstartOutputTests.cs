namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: quickstart lists the files it writes; <c>--overwrite</c> replaces only those, never deletes a folder, and
/// refuses (naming them) files it would write that are the user's; a budget below the measured minimum is refused
/// before anything is written, leaving no folder behind.
/// </summary>
public sealed class QuickstartOutputTests : IDisposable
{
    readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    string P(params string[] parts) => _scratch.P(parts);

    static string[] Tiny(string output) =>
        ["quickstart", "--minutes", "0.5", "--train-images", "16", "--val-images", "2", "--threads", "1",
            "--out", output];

    [Fact]
    public void OverwriteRefusesTheUsersFilesAndKeepsEverythingItDidNotWrite()
    {
        // A user's folder: a file where quickstart writes its validation annotations, and one in run/ it never writes.
        Directory.CreateDirectory(P("out", "validation"));
        Directory.CreateDirectory(P("out", "run"));
        File.WriteAllText(P("out", "validation", "annotations.json"), "{\"the user's\": true}");
        File.WriteAllText(P("out", "run", "notes.txt"), "keep me");
        string error = _scratch.AssertRefused(P("out"), [.. Tiny(P("out")), "--overwrite"]);
        Assert.Contains("validation/annotations.json", error);

        // Without the conflicting file it runs, and a second run with --overwrite replaces only its own files.
        File.Delete(P("out", "validation", "annotations.json"));
        ScratchFolder.AssertRuns([.. Tiny(P("out")), "--overwrite"]);
        File.WriteAllText(P("out", "detections", "mine.txt"), "mine too");
        ScratchFolder.AssertRuns([.. Tiny(P("out")), "--overwrite"]);
        Assert.Equal("keep me", File.ReadAllText(P("out", "run", "notes.txt")));
        Assert.Equal("mine too", File.ReadAllText(P("out", "detections", "mine.txt")));
        Assert.True(File.Exists(P("out", "model.safetensors")));
        string manifest = File.ReadAllText(P("out", ".cornernet-outputs.json"));
        Assert.Contains("validation/annotations.json", manifest);
        Assert.Contains("run/tensorboard/", manifest);
        Assert.DoesNotContain("notes.txt", manifest);
        // TensorBoard events of the first run were the run's own: replaced, not accumulated.
        var events = Directory.GetFiles(P("out", "run", "tensorboard"));
        Assert.All(events, e => Assert.Contains(Path.GetRelativePath(P("out"), e).Replace('\\', '/'), manifest));
        _scratch.AssertNoTemporaryFiles();
    }

    [Fact]
    public void ABudgetBelowTheMeasuredMinimumIsRefusedBeforeAnythingIsWritten()
    {
        // 12 s cannot generate a million training images: refused with the minimum, and no folder is left.
        string error = _scratch.AssertRefused("--minutes", "quickstart", "--minutes", "0.2",
            "--train-images", "1000000", "--val-images", "2", "--threads", "1", "--out", P("out"));
        Assert.Contains("minimum", error);
        Assert.False(Directory.Exists(P("out")));
        // The retry with a budget that fits is not refused by anything the refused run left.
        ScratchFolder.AssertRuns(Tiny(P("out")));
    }
}
