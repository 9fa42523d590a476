using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: a write that fails on a full disk (a 1 MiB tmpfs filled up) is one line naming the file, exit 2, no
/// stack trace; the temporary file is removed and the previous file is unchanged.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-full-disk").FullName;
    readonly string _disk;
    static readonly string Model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    public FullDiskTests()
    {
        _disk = Path.Combine(_root, "disk");
        Directory.CreateDirectory(_disk);
    }

    public void Dispose()
    {
        if (_mounted) MountableFactAttribute.Unmount(_disk);
        Directory.Delete(_root, true);
    }

    bool _mounted;

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    string D(params string[] parts) => Path.Combine([_disk, .. parts]);

    /// <summary>Mounts a 1 MiB tmpfs on disk/, lets <paramref name="prepare"/> put the earlier outputs there, then
    /// fills what is left.</summary>
    void MountAndFill(Action prepare)
    {
        MountableFactAttribute.MountTmpfs(_disk, "1m");
        _mounted = true;
        prepare();
        using var filler = new FileStream(D("filler"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(block);
            }
        }
        catch (IOException)
        {
            // Full: the point of the exercise.
        }
    }

    /// <summary>The command fails in one line naming <paramref name="file"/> with the system's reason, exit 2;
    /// every file on the disk (and beside it) is as it was, and no temporary file is left.</summary>
    void AssertFailsInOneLine(string file, params string[] args)
    {
        var before = CliRunner.Checksums(_root);
        var (code, _, error) = CliRunner.Run(args);
        CliRunner.AssertOneLineError(code, error, file);
        Assert.Contains("No space left on device", error);
        Assert.Equal(before, CliRunner.Checksums(_root));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp*", SearchOption.AllDirectories));
    }

    void MakeImages(int size) =>
        SyntheticShapesDataset.Write(P("data"), images: 2, seed: 4, new SyntheticShapes(size: size, maxObjects: 3));

    [MountableFact]
    public void DetectDrawingOnAFullDiskIsOneLineAndKeepsTheEarlierDrawing()
    {
        MakeImages(256);
        MountAndFill(() => File.WriteAllText(D("000001.png"), "an earlier drawing"));
        AssertFailsInOneLine(D("000001.png"), "detect", Model, P("data", "images", "000001.png"), "--out", _disk, "--overwrite");
    }

    [MountableFact]
    public void DetectJsonOnAFullDiskIsOneLineAndKeepsTheEarlierJson()
    {
        MakeImages(64);
        MountAndFill(() => File.WriteAllText(D("dets.json"), "[]"));
        AssertFailsInOneLine(D("dets.json"), "detect", Model, P("data", "images", "000001.png"), "--json", D("dets.json"), "--overwrite");
    }

    [MountableFact]
    public void ExportOnAFullDiskIsOneLineAndKeepsTheEarlierModel()
    {
        MountAndFill(() => File.WriteAllText(D("model.onnx"), "an earlier export"));
        AssertFailsInOneLine(D("model.onnx"), "export", Model, "--out", D("model.onnx"), "--overwrite");
    }

    [MountableFact]
    public void SynthOnAFullDiskIsOneLineAndLeavesNoTemporary()
    {
        MountAndFill(() => { });
        var (code, _, error) = CliRunner.Run("synth", "--out", D("data"), "--images", "5", "--size", "128");
        // Images are written in parallel: whichever failed first is named.
        CliRunner.AssertOneLineError(code, error, D("data", "images") + Path.DirectorySeparatorChar);
        Assert.Contains("No space left on device", error);
        Assert.Empty(Directory.GetFiles(_root, "*.tmp*", SearchOption.AllDirectories));
    }
}
