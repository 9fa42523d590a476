using System.CommandLine;
using CornerNet.Data;
using CornerNet.Evaluation;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary><c>cornernet evaluate --gt GT.json --dets DETS.json [--json OUT.json]</c>: COCO bbox metrics, as
/// pycocotools.</summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var gt = new Option<string>("--gt") { Description = "COCO ground truth (instances JSON; .json or .json.gz).", Required = true, HelpName = "GT.json" };
        var dets = new Option<string>("--dets") { Description = "COCO results JSON [{image_id, category_id, bbox, score}] (.json or .json.gz).", Required = true, HelpName = "DETS.json" };
        var json = new Option<string?>("--json") { Description = "Also write the metrics as JSON to this file.", HelpName = "OUT.json" };
        var overwrite = OutputCheck.OverwriteOption();
        var command = new Command("evaluate", "COCO bbox metrics of detections against ground truth (the same numbers as pycocotools).")
        {
            gt, dets, json, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            OutputCheck.Files(parse.GetValue(overwrite), [parse.GetValue(gt), parse.GetValue(dets)], parse.GetValue(json));
            return Run(parse.GetValue(gt)!, parse.GetValue(dets)!, parse.GetValue(json));
        }));
        return command;
    }

    static int Run(string gtPath, string detsPath, string? jsonPath)
    {
        // The two files are independent: read them at the same time (a bad ground truth is still reported first).
        var gtRead = Task.Run(() => CocoAnnotationFile.Read(gtPath));
        var detsRead = Task.Run(() => CocoDetectionsFile.Read(detsPath));
        var groundTruth = gtRead.GetAwaiter().GetResult();
        var detections = detsRead.GetAwaiter().GetResult();
        var metrics = CocoEvaluator.Evaluate(groundTruth, detections);
        foreach (string warning in metrics.Warnings) Console.Error.WriteLine($"cornernet: warning: {warning}");

        foreach (string line in metrics.SummaryLines()) Console.WriteLine(line);
        Console.WriteLine();
        var table = new Table().AddColumn("id").AddColumn("category").AddColumn(new TableColumn("AP").RightAligned());
        foreach (var (categoryId, ap) in metrics.PerClassAP)
            table.AddRow(categoryId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(groundTruth.CategoryById[categoryId].Name),
                ap > -1 ? CocoMetrics.FormatNumber(ap) : "no GT");
        Terminal.Current().Write(table);

        if (jsonPath != null)
        {
            metrics.WriteJson(jsonPath);
            Console.WriteLine($"metrics written to {jsonPath}");
        }
        return 0;
    }
}
