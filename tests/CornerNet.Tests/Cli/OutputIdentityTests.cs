using System.Runtime.InteropServices;
using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: outputs are compared with inputs by what the paths name, not by their spelling: a symbolic link to the
/// images' folder, a link on a parent, a hard link or a bind mount of the folder is still the input. Two outputs of one
/// command naming the same file (or a file and the folder of another) are refused before any work. Each refusal is
/// exit 2 with one line naming the file, no stack trace, nothing changed and no temporary file left.
/// </summary>
public sealed class OutputIdentityTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-identity").FullName;
    readonly List<string> _mounts = [];
    static readonly string Model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    public void Dispose()
    {
        foreach (string mount in _mounts) MountableFactAttribute.Unmount(mount);
        Directory.Delete(_root, true);
    }

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int Link(string existing, string added);

    /// <summary>Makes <paramref name="added"/> a second name of <paramref name="existing"/> (.NET has no call for
    /// it).</summary>
    internal static void HardLink(string added, string existing) =>
        Assert.True(Link(existing, added) == 0, $"link {existing} {added}: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>A 3-image 64-pixel shapes dataset in data/ and the shipped tiny model as model.safetensors.</summary>
    void MakeModelAndData()
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed: 5, new SyntheticShapes(size: 64, maxObjects: 2));
        File.Copy(Model, P("model.safetensors"));
    }

    string[] DetectImages(string outFolder) =>
        ["detect", P("model.safetensors"), P("data", "images", "000001.png"), P("data", "images", "000002.png"), "--out", outFolder, "--overwrite"];

    /// <summary>A command that must be refused before any work: exit 2, one line naming <paramref name="file"/>,
    /// every file as it was, no new folder and no temporary file.</summary>
    void AssertRefused(string file, params string[] args)
    {
        var before = CliRunner.Checksums(_root);
        var folders = Directory.GetDirectories(_root, "*", SearchOption.AllDirectories);
        var (code, _, error) = CliRunner.Run(args);
        CliRunner.AssertOneLineError(code, error, file);
        Assert.Equal(before, CliRunner.Checksums(_root));
        Assert.Equal(folders, Directory.GetDirectories(_root, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public void DetectRefusesAnOutFolderThatIsASymbolicLinkToTheImagesFolder()
    {
        MakeModelAndData();
        Directory.CreateSymbolicLink(P("LINK"), P("data", "images"));
        AssertRefused(P("LINK", "000001.png"), DetectImages(P("LINK")));
    }

    [Fact]
    public void DetectRefusesAnOutFolderReachedThroughALinkOnAParent()
    {
        MakeModelAndData();
        Directory.CreateSymbolicLink(P("parent-link"), P("data"));
        AssertRefused(P("parent-link", "images", "000001.png"), DetectImages(P("parent-link", "images")));
        // A chain of links, relative targets included, is followed as far as it goes.
        Directory.CreateSymbolicLink(P("second-link"), "parent-link");
        AssertRefused(P("second-link", "images", "000001.png"), DetectImages(P("second-link", "images")));
    }

    [Fact]
    public void DetectRefusesAnOutFolderWhoseDrawingWouldBeAHardLinkOfAnInput()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("drawn"));
        HardLink(P("drawn", "000001.png"), P("data", "images", "000001.png"));
        AssertRefused(P("drawn", "000001.png"), DetectImages(P("drawn")));
    }

    [MountableFact]
    public void DetectRefusesAnOutFolderThatIsABindMountOfTheImagesFolder()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("bound"));
        MountableFactAttribute.Bind(P("data", "images"), P("bound"));
        _mounts.Add(P("bound"));
        AssertRefused(P("bound", "000001.png"), DetectImages(P("bound")));
    }

    [Fact]
    public void EvaluateAndExportRefuseAnOutputThatIsALinkToAnInputFile()
    {
        MakeModelAndData();
        File.CreateSymbolicLink(P("gt-link.json"), P("data", "annotations.json"));
        AssertRefused(P("gt-link.json"), "evaluate", "--gt", P("data", "annotations.json"), "--dets", P("data", "annotations.json"),
            "--json", P("gt-link.json"), "--overwrite");
        Directory.CreateDirectory(P("models"));
        File.Copy(Model, P("models", "m.safetensors"));
        Directory.CreateSymbolicLink(P("models-link"), P("models"));
        AssertRefused(P("models-link", "m.safetensors"), "export", P("models", "m.safetensors"), "--out", P("models-link", "m.safetensors"), "--overwrite");
    }

    [Fact]
    public void DetectRefusesTheSamePathAsJsonAndAsTheDrawingsFolder()
    {
        MakeModelAndData();
        // Today's trace was "IOException: Is a directory", after the work.
        AssertRefused(P("X"), "detect", P("model.safetensors"), P("data", "images", "000001.png"), "--out", P("X"), "--json", P("X"));
        Directory.CreateDirectory(P("Y"));
        AssertRefused(P("Y"), "detect", P("model.safetensors"), P("data", "images", "000001.png"), "--out", P("Y"), "--json", P("Y"));
        // A --json inside the drawings folder is fine: a file beside the drawings, not one of them.
        var (code, _, error) = CliRunner.Run("detect", P("model.safetensors"), P("data", "images", "000001.png"), "--out", P("Z"), "--json", P("Z", "dets.json"));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(P("Z", "dets.json")) && File.Exists(P("Z", "000001.png")));
    }

    [Fact]
    public void TestRefusesTwoOutputsThatAreOneFileThroughALink()
    {
        MakeModelAndData();
        Directory.CreateDirectory(P("results"));
        Directory.CreateSymbolicLink(P("results-link"), P("results"));
        AssertRefused(P("results-link", "out.json"), "test", P("model.safetensors"), "--gt", P("data", "annotations.json"), "--images", P("data", "images"),
            "--json", P("results", "out.json"), "--metrics", P("results-link", "out.json"), "--plot", P("results", "plot.png"));
        AssertRefused(P("results", "same.json"), "test", P("model.safetensors"), "--gt", P("data", "annotations.json"), "--images", P("data", "images"),
            "--json", P("results", "same.json"), "--metrics", P("results", "same.json"), "--plot", P("results", "plot.png"));
    }
}
