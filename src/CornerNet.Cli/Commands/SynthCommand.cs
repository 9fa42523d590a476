using System.CommandLine;
using CornerNet.Data;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary><c>cornernet synth --out DIR --images N --seed S [--size 256]</c>: writes the synthetic shapes dataset
/// (COCO format).</summary>
public static class SynthCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder (gets images/ and annotations.json).", Required = true };
        var images = new Option<int>("--images") { Description = "Number of images.", DefaultValueFactory = _ => 1000 }.InRange(1, 10_000_000);
        var seed = new Option<int>("--seed") { Description = "Seed; the same seed writes the same files.", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "Image side in pixels (at least 32).", DefaultValueFactory = _ => 256 }.InRange(32, 8192);
        var overwrite = OutputCheck.OverwriteOption("an existing dataset folder");
        var command = new Command("synth", "Write the synthetic shapes dataset (circles, triangles, rings, crosses, stars, diamonds) in COCO format.")
        {
            output, images, seed, size, overwrite,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            int n = parse.GetValue(images), side = parse.GetValue(size);
            string dir = parse.GetValue(output)!;
            OutputCheck.Folder(dir, parse.GetValue(overwrite));
            var generator = new SyntheticShapes(side);
            var summary = WithProgress(n, report => SyntheticShapesDataset.Write(dir, n, parse.GetValue(seed), generator, report));
            Console.WriteLine($"wrote {summary.Images} images, {summary.Objects} objects to {Path.GetFullPath(dir)}");
            Console.WriteLine("objects per class: " + string.Join(", ",
                SyntheticShapes.ClassNames.Select((name, k) => $"{name} {summary.ObjectsPerClass[k]}")));
            Console.WriteLine($"small/medium/large (COCO areas): {summary.Small}/{summary.Medium}/{summary.Large}");
            return 0;
        }));
        return command;
    }

    static T WithProgress<T>(int total, Func<Action<int>, T> work)
    {
        if (!Terminal.Interactive)
        {
            int step = Math.Max(1, total / 10);
            return work(done =>
            {
                if (done % step == 0 || done == total) Console.WriteLine($"synth: {done}/{total} images");
            });
        }
        T result = default!;
        Terminal.Current().Progress().Start(context =>
        {
            var task = context.AddTask("writing images", maxValue: total);
            result = work(done => task.Value = done);
        });
        return result;
    }
}
