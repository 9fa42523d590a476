using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// A temporary folder for command tests (removed on dispose) with a 3-image 64-pixel shapes dataset and the shipped
/// tiny model, and the refusal contract: exit 2, one line naming the file or option, no stack trace, every file there
/// before unchanged (checksums), no folder added and no temporary or lock file left.
/// </summary>
public sealed class ScratchFolder : IDisposable
{
    static readonly string ShippedModel = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    /// <summary>The folder.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("cornernet-defaults").FullName;

    /// <summary>A path inside the folder.</summary>
    public string P(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>data/ (3 shapes images, seed <paramref name="seed"/>) and model.safetensors.</summary>
    public void MakeModelAndData(int seed = 9)
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed, new SyntheticShapes(size: 64, maxObjects: 2));
        File.Copy(ShippedModel, P("model.safetensors"));
    }

    /// <summary>SHA-256 of every file in the folder.</summary>
    public Dictionary<string, string> Checksums() => CliRunner.Checksums(Root);

    /// <summary>No temporary file, probe or lock file anywhere in the folder.</summary>
    public void AssertNoTemporaryFiles()
    {
        Assert.Empty(Directory.GetFiles(Root, "*.tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Root, ".lock", SearchOption.AllDirectories));
    }

    /// <summary>Runs a command that must be refused (see the class summary); returns its message.</summary>
    public string AssertRefused(string named, params string[] args)
    {
        var before = Checksums();
        var folders = Directory.GetDirectories(Root, "*", SearchOption.AllDirectories);
        var (code, _, error) = CliRunner.Run(args);
        CliRunner.AssertOneLineError(code, error, named);
        Assert.Equal(before, Checksums());
        Assert.Equal(folders, Directory.GetDirectories(Root, "*", SearchOption.AllDirectories));
        AssertNoTemporaryFiles();
        return error;
    }

    /// <summary>Runs a command that must succeed; returns its standard output.</summary>
    public static string AssertRuns(params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.True(code == 0, $"exit {code}: {error}");
        return output;
    }

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(Root, true);
}
