using CornerNet.Cli.Commands;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: the output list behind <c>--overwrite</c> of train and quickstart: a run claims the files it will write,
/// removes by name only listed files it no longer writes, and after a refusal removes only what it created.
/// </summary>
public sealed class OutputManifestTests : IDisposable
{
    readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    string P(params string[] parts) => _scratch.P(parts);

    [Fact]
    public void ARefusedRunRemovesOnlyTheFilesAndFoldersItCreated()
    {
        Directory.CreateDirectory(P("out", "run"));
        File.WriteAllText(P("out", "run", "notes.txt"), "the user's");
        var before = _scratch.Checksums();
        var manifest = OutputManifest.Read(P("out"));
        manifest.Claim(["validation/annotations.json", "validation/images/000001.png", "run/losses.csv"]);
        // The run writes part of its files, then is refused.
        Directory.CreateDirectory(P("out", "validation", "images"));
        File.WriteAllText(P("out", "validation", "annotations.json"), "{}");
        File.WriteAllText(P("out", "validation", "images", "000001.png"), "png");
        manifest.RemoveCreated();

        Assert.Equal(before, _scratch.Checksums());
        Assert.False(Directory.Exists(P("out", "validation")));
        Assert.True(Directory.Exists(P("out", "run")));
        Assert.False(File.Exists(P("out", OutputManifest.FileName)));
    }

    [Fact]
    public void ANewRunRemovesItsFormerStaleFilesByNameAndRefusesForeignOnes()
    {
        var first = OutputManifest.Read(P("out"));
        first.Claim(["detections/000001.png", "detections/000002.png", "report.md"]);
        foreach (var f in first.Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(P("out", f))!);
            File.WriteAllText(P("out", f), f);
        }
        File.WriteAllText(P("out", "detections", "mine.txt"), "the user's");

        // Fewer drawings now: the former second one is stale and removed; the user's file stays.
        var second = OutputManifest.Read(P("out"));
        second.Claim(["detections/000001.png", "report.md"]);
        Assert.False(File.Exists(P("out", "detections", "000002.png")));
        Assert.True(File.Exists(P("out", "detections", "000001.png")));
        Assert.Equal("the user's", File.ReadAllText(P("out", "detections", "mine.txt")));

        // A file the run would write that is not listed is the user's: refused, naming it, nothing changed.
        var before = _scratch.Checksums();
        var third = OutputManifest.Read(P("out"));
        var e = Assert.Throws<InvalidInputException>(
            () => third.Claim(["detections/000001.png", "detections/mine.txt"]));
        Assert.Contains("detections/mine.txt", e.Message);
        Assert.Equal(before, _scratch.Checksums());
    }

    [Fact]
    public void AForeignOrHostileListIsRefused()
    {
        Directory.CreateDirectory(P("out"));
        File.WriteAllText(P("out", OutputManifest.FileName), "{\"something\": \"else\"}");
        string Refusal() => Assert.Throws<InvalidInputException>(() => OutputManifest.Read(P("out"))).Message;
        Assert.Contains("not a cornernet output list", Refusal());
        File.WriteAllText(P("out", OutputManifest.FileName),
            "{\"format\": \"cornernet-outputs/1\", \"files\": [\"../outside.txt\"]}");
        Assert.Contains("outside its folder", Refusal());
    }
}
