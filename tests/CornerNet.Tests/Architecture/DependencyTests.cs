using System.Text.RegularExpressions;

namespace CornerNet.Tests.Architecture;

/// <summary>
/// The library's stages (folder = namespace <c>CornerNet.X</c> under src/CornerNet) depend on one another only along
/// the allowed arrows below, never in a circle; programs sit on top of the library. See docs/ARCHITECTURE.md.
/// </summary>
public class DependencyTests
{
    /// <summary>
    /// Each stage and the stages it uses, exactly (an arrow nothing uses is removed): Runtime (host facts and
    /// decisions), Layers (kernel workarounds), Weights, Data and Model first, then the stages built on them. Files at
    /// the library root (namespace <c>CornerNet</c>: AtomicFile, InvalidInputException, InputLimits) are usable by all.
    /// </summary>
    static readonly Dictionary<string, string[]> AllowedArrows = new()
    {
        ["Runtime"] = [],
        ["Layers"] = ["Runtime"],
        ["Weights"] = [],
        ["Data"] = [],
        ["Model"] = ["Runtime", "Layers", "Weights", "Data"],
        ["Distributed"] = ["Data"],
        ["Evaluation"] = ["Data"],
        ["Inference"] = ["Runtime", "Layers", "Data", "Model"],
        ["Training"] = ["Runtime", "Layers", "Weights", "Data", "Model", "Distributed", "Inference", "Evaluation"],
        ["Onnx"] = ["Data", "Model", "Inference"],
        ["Quantization"] = ["Runtime", "Data", "Model", "Inference", "Onnx"],
    };

    static readonly Regex Reference = new(@"\bCornerNet\.([A-Z][A-Za-z]*)\b", RegexOptions.Compiled);

    static string Library => Path.Combine(Fixtures.RepoRoot, "src", "CornerNet");

    /// <summary>Every stage → the other stages its source files name in a <c>using</c> or a qualified reference.</summary>
    internal static Dictionary<string, SortedSet<string>> StageArrows(string library)
    {
        var stages = Directory.GetDirectories(library).Select(Path.GetFileName).OfType<string>()
            .Where(name => name is not ("bin" or "obj")).ToHashSet();
        var arrows = stages.ToDictionary(s => s, _ => new SortedSet<string>());
        foreach (var stage in stages)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(library, stage), "*.cs", SearchOption.AllDirectories))
                foreach (var line in File.ReadLines(file))
                {
                    string code = line.TrimStart();
                    if (code.StartsWith("//", StringComparison.Ordinal) || code.StartsWith("namespace ", StringComparison.Ordinal)) continue;
                    foreach (Match m in Reference.Matches(code))
                        if (m.Groups[1].Value is var target && target != stage && stages.Contains(target))
                            arrows[stage].Add(target);
                }
        return arrows;
    }

    [Fact]
    public void EveryStageFolderHasAnOrderAndOnlyAllowedArrows()
    {
        var wrong = new List<string>();
        foreach (var (stage, targets) in StageArrows(Library))
        {
            if (!AllowedArrows.TryGetValue(stage, out var allowed))
            {
                wrong.Add($"{stage}: a stage folder without a place in AllowedArrows");
                continue;
            }
            foreach (var target in targets)
                if (!allowed.Contains(target))
                    wrong.Add($"{stage}->{target}");
        }
        Assert.True(wrong.Count == 0, "arrows against the stage order: " + string.Join(", ", wrong));
    }

    [Fact]
    public void EveryAllowedArrowIsUsed()
    {
        var arrows = StageArrows(Library);
        var unused = (from kv in AllowedArrows
                      from target in kv.Value
                      where !(arrows.TryGetValue(kv.Key, out var used) && used.Contains(target))
                      select $"{kv.Key}->{target}").ToList();
        Assert.True(unused.Count == 0, "allowed arrows no file uses (remove them): " + string.Join(", ", unused));
    }

    [Fact]
    public void NoCycleBetweenStages()
    {
        var arrows = StageArrows(Library);
        foreach (var (stage, targets) in arrows)
        Assert.Null(FindCycle(arrows));
        Assert.Null(FindCycle(AllowedArrows.ToDictionary(kv => kv.Key, kv => new SortedSet<string>(kv.Value))));
    }

    [Fact]
    public void FirstStagesReachNoLaterStage()
    {
        string[] order = ["Runtime", "Layers", "Weights", "Data", "Model"];
        var arrows = StageArrows(Library);
        for (int i = 0; i < order.Length; i++)
        {
            var later = arrows[order[i]].Where(t => Array.IndexOf(order, t) is var j && (j < 0 || j > i)).ToList();
            Assert.True(later.Count == 0, $"{order[i]} uses later stages: {string.Join(", ", later)}");
        }
    }

    [Fact]
    public void OnlyTheCliIsAProgram()
    {
        var programs = Directory.EnumerateFiles(Fixtures.RepoRoot, "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Fixtures.RepoRoot, p).Replace('\\', '/'))
            // Tests, experiments and samples (consumers of the packed library, outside the solution) are not the product.
            .Where(p => !p.StartsWith("tests/", StringComparison.Ordinal) && !p.StartsWith("experiments/", StringComparison.Ordinal)
                && !p.StartsWith("samples/", StringComparison.Ordinal))
            .Where(p => File.ReadAllText(Path.Combine(Fixtures.RepoRoot, p)).Contains("<OutputType>Exe</OutputType>", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(["src/CornerNet.Cli/CornerNet.Cli.csproj"], programs);
    }

    [Fact]
    public void ABadUsingIsFound()
    {
        string library = Directory.CreateTempSubdirectory("cornernet-arch-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(library, "Weights"));
            Directory.CreateDirectory(Path.Combine(library, "Training"));
            File.WriteAllText(Path.Combine(library, "Weights", "A.cs"), "using CornerNet.Training;\nnamespace CornerNet.Weights;\n");
            File.WriteAllText(Path.Combine(library, "Training", "B.cs"), "namespace CornerNet.Training;\n// CornerNet.Weights in a comment\n");
            var arrows = StageArrows(library);
            Assert.Equal(["Training"], arrows["Weights"]);
            Assert.Empty(arrows["Training"]);
        }
        finally { Directory.Delete(library, recursive: true); }
    }

    /// <summary>One cycle as "A -> B -> A", or null when the graph has none.</summary>
    static string? FindCycle(Dictionary<string, SortedSet<string>> arrows)
    {
        var state = new Dictionary<string, int>(); // 1 = on the path, 2 = done
        var path = new List<string>();
        string? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in arrows.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1)
                    return string.Join(" -> ", path.Skip(path.IndexOf(next)).Append(next));
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is string cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in arrows.Keys.Order())
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is string cycle) return cycle;
        return null;
    }
}
