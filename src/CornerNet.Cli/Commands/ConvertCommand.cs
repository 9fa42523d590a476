using CornerNet.Data;
using System.CommandLine;
using CornerNet.Model;

namespace CornerNet.Cli.Commands;

/// <summary><c>cornernet convert CHECKPOINT --out MODEL.safetensors [--classes FILE]</c>: official weights → model
/// file.</summary>
public static class ConvertCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var checkpoint = new Argument<FileInfo>("checkpoint") { Description = "Official checkpoint: .pkl (legacy pickle), .pth (zip) or a state-dict .safetensors." };
        var output = new Option<FileInfo>("--out") { Description = "Model file to write (.safetensors).", Required = true };
        var classes = new Option<FileInfo?>("--classes") { Description = "Class names: JSON list of names, list of {id, name}, or a COCO annotation file (default: COCO's 80 classes)." };
        var overwrite = OutputCheck.OverwriteOption();
        var command = new Command("convert", "Convert an official PyTorch CornerNet checkpoint into a model file (architecture inferred from the weights).")
        {
            checkpoint, output, classes, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string input = parse.GetValue(checkpoint)!.FullName;
            string outPath = parse.GetValue(output)!.FullName;
            var classFile = parse.GetValue(classes);
            OutputCheck.Files(parse.GetValue(overwrite), [input, classFile?.FullName], outPath);
            var classList = classFile is null ? null : ClassListFile.Read(classFile.FullName);
            var config = ModelFile.ConvertOfficial(input, outPath, classList);
            Console.WriteLine($"wrote {outPath}");
            Console.WriteLine($"  family {config.Family}, stacks {config.Stacks}, levels {config.Levels}, dims [{string.Join(", ", config.Dims)}], modules [{string.Join(", ", config.Modules)}]");
            Console.WriteLine($"  stem [{string.Join(", ", config.Stem)}], cnv_dim {config.CnvDim}, classes {config.Classes}");
            return 0;
        }));
        return command;
    }
}
