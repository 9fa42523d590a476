namespace CornerNet.Tests;

/// <summary>Locates <c>../shared</c> (fixtures and data beside the repository root).</summary>
public static class Fixtures
{
    /// <summary>The repository root (the folder that holds CornerNet.slnx).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared beside the repository.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>../shared/fixtures/reference.</summary>
    public static string Reference => Path.Combine(Shared, "fixtures", "reference");

    /// <summary>../shared/fixtures/saccade (the official CornerNet-Saccade code's numbers).</summary>
    public static string Saccade => Path.Combine(Shared, "fixtures", "saccade");

    /// <summary>../shared/fixtures/cocoeval.</summary>
    public static string CocoEval => Path.Combine(Shared, "fixtures", "cocoeval");

    /// <summary>../shared/data/coco128.</summary>
    public static string Coco128 => Path.Combine(Shared, "data", "coco128");

    /// <summary>True when the shared fixtures folder exists.</summary>
    public static bool Available => Directory.Exists(Path.Combine(Shared, "fixtures"));

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CornerNet.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root from " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that reads ../shared/fixtures; skipped with a clear reason when that folder is absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the fixtures are missing.</summary>
    public FixtureFactAttribute()
    {
        if (!Fixtures.Available) Skip = $"parity fixtures not found at {Fixtures.Shared}/fixtures (clone the repository beside shared/)";
    }
}

/// <summary>A theory that reads ../shared/fixtures; skipped with a clear reason when that folder is absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the fixtures are missing.</summary>
    public FixtureTheoryAttribute()
    {
        if (!Fixtures.Available) Skip = $"parity fixtures not found at {Fixtures.Shared}/fixtures (clone the repository beside shared/)";
    }
}
