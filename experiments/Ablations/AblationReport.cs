using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CornerNet.Experiments;

/// <summary>
/// The paper's Tables 1–3 next to ours: per row the paper's AP, AP50, AP75, APs, APm, APl (COCO val, %) and our
/// mean over seeds with the range (synthetic validation split, %). Writes tables.md, results.tsv and results.json.
/// </summary>
sealed class AblationReport(IReadOnlyList<RunResult> results, int iterations, int validationImages)
{
    static readonly string[] Columns = ["AP", "AP50", "AP75", "APs", "APm", "APl"];

    // Law & Deng, ECCV 2018, Tables 1–3 (MS COCO validation), as printed in /work/shared/paper/.
    static readonly double[] PaperNoCornerPooling = [36.5, 52.0, 38.9, 17.6, 38.7, 48.8];
    static readonly double[] PaperBaseline = [38.5, 54.1, 41.1, 17.7, 41.1, 52.5];
    static readonly double[] PaperNoPenaltyReduction = [32.9, 49.1, 34.8, 19.0, 37.0, 40.7];
    static readonly double[] PaperFixedRadius = [35.6, 52.5, 37.7, 18.7, 38.5, 46.0];
    static readonly double[] PaperGtHeatmaps = [74.0, 88.5, 79.3, 60.8, 82.0, 82.6];
    static readonly double[] PaperGtHeatmapsOffsets = [87.1, 90.0, 86.7, 85.0, 87.9, 83.1];

    public void Write(string folder, IReadOnlyList<int> tables)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Tiny preset, {iterations} iterations per run, {validationImages} synthetic validation images; ours = mean over seeds [min, max], in % like the paper. APl is −1 (no object is large at 127 px).");
        md.AppendLine();
        foreach (int table in tables)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### Table {table}");
            md.AppendLine();
            md.AppendLine("| row | seeds | " + string.Join(" | ", Columns.Select(c => $"{c} paper | {c} ours")) + " |");
            md.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---:|---:|", Columns.Length)));
            foreach (var (label, arm, variant, paper) in Rows(table))
            {
                var runs = results.Where(r => r.Arm == arm && r.Stats.ContainsKey(variant)).OrderBy(r => r.Seed).ToList();
                var cells = Columns.Select((_, k) => $"{paper[k]:F1} | {Summary(runs.Select(r => r.Stats[variant][k]).ToList())}");
                md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {string.Join(",", runs.Select(r => r.Seed))} | {string.Join(" | ", cells)} |");
            }
            md.AppendLine();
            if (table != 3) AppendPairedDifferences(md, table);
        }
        md.AppendLine("### Runs");
        md.AppendLine();
        md.AppendLine("| arm | seed | iterations | started (UTC) | train wall (min) | train CPU (min) | load start → end | final loss | parameters | flip AP | eval wall (s) |");
        md.AppendLine("|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|");
        foreach (var r in results.OrderBy(r => r.Arm).ThenBy(r => r.Seed))
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Arm} | {r.Seed} | {r.Iterations} | {r.StartedUtc} | {r.TrainWallSeconds / 60:F1} | {r.TrainCpuSeconds / 60:F1} | {r.LoadStart} → {r.LoadEnd} | {r.FinalLoss:F3} | {r.Parameters} | {(r.Stats.TryGetValue("flip", out var s) ? (100 * s[0]).ToString("F1", CultureInfo.InvariantCulture) : "–")} | {string.Join(" / ", r.EvalWallSeconds.Values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))} |");
        Atomic(Path.Combine(folder, "tables.md"), md.ToString());

        var tsv = new StringBuilder("arm\tseed\tvariant\titerations\ttrain_wall_s\ttrain_cpu_s\tload_start\tload_end\t" + string.Join('\t', Columns) + "\n");
        foreach (var r in results.OrderBy(r => r.Arm).ThenBy(r => r.Seed))
            foreach (var (variant, stats) in r.Stats)
                tsv.AppendLine(string.Join('\t', new[] { r.Arm, r.Seed.ToString(CultureInfo.InvariantCulture), variant, r.Iterations.ToString(CultureInfo.InvariantCulture),
                    r.TrainWallSeconds.ToString("F0", CultureInfo.InvariantCulture), r.TrainCpuSeconds.ToString("F0", CultureInfo.InvariantCulture), r.LoadStart, r.LoadEnd }
                    .Concat(stats.Take(Columns.Length).Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))));
        Atomic(Path.Combine(folder, "results.tsv"), tsv.ToString());
        Atomic(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    }

    // Arms of one seed share the initialisation seed and the data order, so baseline − arm per seed removes much of
    // the seed-to-seed variation that the [min, max] ranges include.
    void AppendPairedDifferences(StringBuilder md, int table)
    {
        var baseline = results.Where(r => r.Arm == "baseline" && r.Stats.ContainsKey("flip")).ToDictionary(r => r.Seed);
        foreach (var (label, arm, variant, paper) in Rows(table).Where(row => row.Arm != "baseline"))
        {
            var pairs = results.Where(r => r.Arm == arm && r.Stats.ContainsKey(variant) && baseline.ContainsKey(r.Seed)).OrderBy(r => r.Seed).ToList();
            if (pairs.Count == 0) continue;
            string F(double v) => (100 * v).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture);
            string perSeed(int k) => string.Join(", ", pairs.Select(r => $"s{r.Seed} {F(baseline[r.Seed].Stats["flip"][k] - r.Stats[variant][k])}"));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Baseline − {label}, same seed: AP {perSeed(0)}; AP50 {perSeed(1)}; APs {perSeed(3)}; APm {perSeed(4)} (paper: AP {PaperBaseline[0] - paper[0]:+0.0;−0.0}).");
            md.AppendLine();
        }
    }

    static IEnumerable<(string Label, string Arm, string Variant, double[] Paper)> Rows(int table) => table switch
    {
        1 => [("w/o corner pooling", "no-corner-pooling", "flip", PaperNoCornerPooling), ("w/ corner pooling", "baseline", "flip", PaperBaseline)],
        2 => [("w/o reducing penalty", "no-penalty-reduction", "flip", PaperNoPenaltyReduction), ("fixed radius (2.5)", "fixed-radius", "flip", PaperFixedRadius),
              ("object-dependent radius", "baseline", "flip", PaperBaseline)],
        3 => [("CornerNet (ours: no flip)", "baseline", "single", PaperBaseline), ("w/ gt heatmaps", "baseline", "gt-heatmaps", PaperGtHeatmaps),
              ("w/ gt heatmaps + offsets", "baseline", "gt-heatmaps-offsets", PaperGtHeatmapsOffsets)],
        _ => throw new ArgumentException($"unknown table {table}"),
    };

    // Mean and [min, max] in %; "–" without runs; −1 (no objects of that size) stays −1.
    static string Summary(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return "–";
        if (values.All(v => v < 0)) return "−1";
        string F(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture);
        return values.Count == 1 ? F(values[0]) : $"{F(values.Average())} [{F(values.Min())}, {F(values.Max())}]";
    }

    static void Atomic(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
