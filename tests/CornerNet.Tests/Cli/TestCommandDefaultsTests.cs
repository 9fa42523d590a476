namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: <c>cornernet test</c> writes files only when asked (<c>--json</c>, <c>--metrics</c>, <c>--plot</c>, or
/// <c>--out DIR</c> for all three), so the same command run twice never collides with its own files.
/// </summary>
public sealed class TestCommandDefaultsTests : IDisposable
{
    static readonly string[] DefaultNames = ["detections.json", "metrics.json", "precision_recall.png"];
    readonly ScratchFolder _scratch = new();

    public TestCommandDefaultsTests() => _scratch.MakeModelAndData();

    public void Dispose() => _scratch.Dispose();

    string P(params string[] parts) => _scratch.P(parts);

    string[] TestArgs => ["test", P("model.safetensors"), "--gt", P("data", "annotations.json"), "--images",
        P("data", "images"), "--threads", "1"];

    [Fact]
    public void WithoutOutputOptionsTestPrintsTheTableTwiceAndWritesNothing()
    {
        var before = _scratch.Checksums();
        var inWorkingFolder = DefaultNames.Select(n => (n, File.Exists(n))).ToArray();
        for (int run = 0; run < 2; run++)
        {
            string output = ScratchFolder.AssertRuns(TestArgs);
            Assert.Contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]", output);
            Assert.Contains("no files written", output);
        }
        Assert.Equal(before, _scratch.Checksums());
        // Nothing appeared in the working folder either (the old defaults wrote these three there).
        Assert.Equal(inWorkingFolder, DefaultNames.Select(n => (n, File.Exists(n))).ToArray());
        _scratch.AssertNoTemporaryFiles();
    }

    [Fact]
    public void OutWritesAllThreeAndASecondRunNeedsOverwrite()
    {
        ScratchFolder.AssertRuns([.. TestArgs, "--out", P("results")]);
        Assert.Equal(DefaultNames.Order(), Directory.GetFiles(P("results")).Select(Path.GetFileName).Order());
        Assert.All(DefaultNames, n => Assert.True(new FileInfo(P("results", n)).Length > 0, n));

        _scratch.AssertRefused(P("results", "detections.json"), [.. TestArgs, "--out", P("results")]);
        ScratchFolder.AssertRuns([.. TestArgs, "--out", P("results"), "--overwrite"]);
        _scratch.AssertNoTemporaryFiles();
    }

    [Fact]
    public void EachFileOptionWritesOnlyItsFile()
    {
        ScratchFolder.AssertRuns([.. TestArgs, "--metrics", P("only", "m.json")]);
        Assert.Equal(["m.json"], Directory.GetFiles(P("only")).Select(Path.GetFileName));
        // --out gives the defaults; a file option still names its own file.
        ScratchFolder.AssertRuns([.. TestArgs, "--out", P("both"), "--plot", P("pr.png")]);
        Assert.Equal(["detections.json", "metrics.json"],
            Directory.GetFiles(P("both")).Select(Path.GetFileName).Order());
        Assert.True(File.Exists(P("pr.png")));
    }
}
