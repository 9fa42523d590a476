using CornerNet.Tests.Cli;

namespace CornerNet.Tests.Foundation;

/// <summary>
/// FileIdentity, the primitive behind "outputs never replace inputs": one file or folder has one identity however the
/// path reaches it (links on any component, hard links, bind mounts), and a path lies within a folder when a real
/// folder above it is that folder.
/// </summary>
public sealed class FileIdentityTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-file-identity").FullName;
    string? _mount;

    public void Dispose()
    {
        if (_mount is not null) MountableFactAttribute.Unmount(_mount);
        Directory.Delete(_root, true);
    }

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    [Fact]
    public void LinksAndHardLinksShareTheIdentityOfTheirTargetAndAMissingPathHasNone()
    {
        Directory.CreateDirectory(P("data", "images"));
        File.WriteAllText(P("data", "images", "a.png"), "image");
        Directory.CreateSymbolicLink(P("to-data"), P("data"));
        OutputIdentityTests.HardLink(P("hard.png"), P("data", "images", "a.png"));
        var image = FileIdentity.Of(P("data", "images", "a.png"));
        Assert.NotNull(image);
        Assert.Equal(image, FileIdentity.Of(P("to-data", "images", "a.png")));
        Assert.Equal(image, FileIdentity.Of(P("hard.png")));
        Assert.Equal(FileIdentity.Of(P("data")), FileIdentity.Of(P("to-data")));
        // 'to-data/..' is the parent of the link's target, as the system reads it.
        Assert.Equal(FileIdentity.Of(_root), FileIdentity.Of(P("to-data", "..")));
        Assert.NotEqual(image, FileIdentity.Of(P("data", "images")));
        Assert.Null(FileIdentity.Of(P("data", "missing.png")));
    }

    [Fact]
    public void APathIsWithinAFolderThroughLinksEvenWhenItDoesNotExistYet()
    {
        Directory.CreateDirectory(P("data", "images"));
        Directory.CreateDirectory(P("elsewhere"));
        Directory.CreateSymbolicLink(P("elsewhere", "link"), P("data", "images"));
        Assert.True(FileIdentity.IsWithin(P("elsewhere", "link", "new", "x.png"), P("data")));
        Assert.True(FileIdentity.IsWithin(P("elsewhere", "link"), P("data", "images")));
        Assert.False(FileIdentity.IsWithin(P("elsewhere", "link", "x.png"), P("elsewhere")));
        Assert.False(FileIdentity.IsWithin(P("data"), P("data", "images")));
        // Two spellings of one missing file are one place.
        Assert.Equal(FileIdentity.Places(P("data", "images", "new", "x.png")).Place, FileIdentity.Places(P("elsewhere", "link", "new", "x.png")).Place);
        Assert.Contains(FileIdentity.Places(P("elsewhere", "link", "new")).Place, FileIdentity.Places(P("data", "images", "new", "x.png")).Enclosing);
    }

    [MountableFact]
    public void ABindMountIsTheFolderItBinds()
    {
        Directory.CreateDirectory(P("data", "images"));
        File.WriteAllText(P("data", "images", "a.png"), "image");
        Directory.CreateDirectory(P("bound"));
        MountableFactAttribute.Bind(P("data"), P("bound"));
        _mount = P("bound");
        Assert.Equal(FileIdentity.Of(P("data")), FileIdentity.Of(P("bound")));
        Assert.Equal(FileIdentity.Of(P("data", "images", "a.png")), FileIdentity.Of(P("bound", "images", "a.png")));
        Assert.True(FileIdentity.IsWithin(P("bound", "images", "b.png"), P("data")));
    }
}
