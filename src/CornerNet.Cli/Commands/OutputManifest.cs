using System.Text.Json;
using System.Text.Json.Serialization;

namespace CornerNet.Cli.Commands;

/// <summary>
/// The files a command (<c>train</c>, <c>quickstart</c>) wrote into its output folder, listed in
/// <c>.cornernet-outputs.json</c> there, so that <c>--overwrite</c> replaces only what the command itself writes: a
/// file it would write that exists and is not listed is the user's, and the command refuses (naming the files) before
/// it writes anything. Nothing is ever deleted recursively: a listed file the new run no longer writes is removed by
/// name, and after a refused run only the files and folders this run created are.
/// </summary>
internal sealed class OutputManifest
{
    /// <summary>The manifest's file name inside the output folder.</summary>
    public const string FileName = ".cornernet-outputs.json";

    const string Format = "cornernet-outputs/1";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    readonly string _folder;
    readonly SortedSet<string> _files;
    readonly bool _existed;
    readonly List<string> _created = [];
    readonly List<string> _createdFolders = [];

    OutputManifest(string folder, IEnumerable<string> files, bool existed)
    {
        _folder = folder;
        _files = new SortedSet<string>(files, StringComparer.Ordinal);
        _existed = existed;
    }

    /// <summary>The files listed (relative to the folder, '/'-separated).</summary>
    public IReadOnlyCollection<string> Files => _files;

    /// <summary>The manifest of <paramref name="folder"/> (empty when it has none).</summary>
    public static OutputManifest Read(string folder)
    {
        string full = Path.GetFullPath(folder);
        string path = Path.Combine(full, FileName);
        if (!File.Exists(path)) return new OutputManifest(full, [], existed: false);
        try
        {
            var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path), Json);
            if (stored?.Format != Format || stored.Files is null) throw NotAList(path);
            if (stored.Files.Any(f => !IsInside(f)))
                throw new InvalidInputException(path, "lists a file outside its folder; move it away or choose another --out");
            return new OutputManifest(full, stored.Files, existed: true);
        }
        catch (JsonException)
        {
            throw NotAList(path);
        }
    }

    /// <summary>
    /// Claims <paramref name="planned"/> (relative paths) for this run: refuses, naming them, if any exists and is not
    /// listed (the user's); otherwise removes listed files that this run will not write (a former run's stale outputs),
    /// remembers which planned files and folders are new (for <see cref="RemoveCreated"/>), and saves the list.
    /// </summary>
    public void Claim(IReadOnlyCollection<string> planned)
    {
        Check(planned);
        var plannedSet = planned.ToHashSet(StringComparer.Ordinal);
        foreach (string stale in _files.Where(f => !plannedSet.Contains(f)).ToList())
        {
            if (File.Exists(Full(stale))) File.Delete(Full(stale));
            _files.Remove(stale);
        }
        foreach (string file in planned.Where(p => !File.Exists(Full(p))))
            _created.Add(file);
        var folders = planned.Select(p => Path.GetDirectoryName(p.Replace('/', Path.DirectorySeparatorChar)) ?? "").Distinct();
        foreach (string folder in folders)
            for (string f = folder; f.Length > 0; f = Path.GetDirectoryName(f) ?? "")
                if (!Directory.Exists(Path.Combine(_folder, f)) && !_createdFolders.Contains(f)) _createdFolders.Add(f);
        Add(planned);
    }

    /// <summary>Refuses, naming them, the files of <paramref name="planned"/> that exist and are not listed (the
    /// user's); writes nothing.</summary>
    public void Check(IReadOnlyCollection<string> planned)
    {
        var foreign = planned.Where(p => !_files.Contains(p) && (File.Exists(Full(p)) || Directory.Exists(Full(p))))
            .Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0)
            throw new InvalidInputException(_folder, $"holds {foreign.Count} file(s) this command would write but did " +
                "not write itself: " +
                $"{string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? $" and {foreign.Count - 5} more" : "")}; " +
                "--overwrite replaces only the command's own files (move them away or choose another --out)");
    }

    /// <summary>Lists <paramref name="files"/> (relative paths) too and saves the list.</summary>
    public void Add(IEnumerable<string> files)
    {
        foreach (string file in files) _files.Add(file);
        Directory.CreateDirectory(_folder);
        string json = JsonSerializer.Serialize(new Stored(Format, [.. _files]), Json);
        AtomicFile.WriteAllText(Path.Combine(_folder, FileName), json);
    }

    /// <summary>After a refused run: removes the files and folders this run created (by name, folders only when
    /// empty), and the list itself when this run created it.</summary>
    public void RemoveCreated()
    {
        foreach (string file in _created)
        {
            if (File.Exists(Full(file))) File.Delete(Full(file));
            _files.Remove(file);
        }
        foreach (string folder in _createdFolders.OrderByDescending(f => f.Length))
        {
            string full = Path.Combine(_folder, folder);
            if (Directory.Exists(full) && !Directory.EnumerateFileSystemEntries(full).Any()) Directory.Delete(full);
        }
        if (!_existed) File.Delete(Path.Combine(_folder, FileName));
        else Add([]);
    }

    /// <summary>The files now in <paramref name="folder"/> (relative to this list's folder) — e.g. TensorBoard
    /// events, whose names are chosen when they are written.</summary>
    public IReadOnlyList<string> FilesIn(string folder)
    {
        string full = Path.Combine(_folder, folder);
        return Directory.Exists(full)
            ? Directory.GetFiles(full)
                .Select(f => Path.GetRelativePath(_folder, f).Replace(Path.DirectorySeparatorChar, '/')).ToList()
            : [];
    }

    static InvalidInputException NotAList(string path) =>
        new(path, "is not a cornernet output list; move it away or choose another --out");

    string Full(string relative) => Path.Combine(_folder, relative.Replace('/', Path.DirectorySeparatorChar));

    static bool IsInside(string relative) =>
        !Path.IsPathRooted(relative) && !relative.Split('/', '\\').Contains("..");

    sealed record Stored(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("files")] string[]? Files);
}
