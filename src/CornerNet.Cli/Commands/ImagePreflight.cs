using System.CommandLine;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// The image checks run before a long job (<c>train</c>, <c>test</c>, <c>detect</c>): every image exists and its
/// header decodes within the limits (headers only, fast), with a progress bar on large sets. Bad images stop the run
/// with one line naming the first (exit 2), or with <c>--skip-bad-images</c> are listed by name and left out. Also owns
/// <c>--max-image-megapixels</c>, which sets <see cref="InputLimits.Default"/> for the command.
/// </summary>
public sealed class ImagePreflight
{
    /// <summary>Sets above which an interactive terminal shows a progress bar (smaller sets are checked in a
    /// blink).</summary>
    const int ProgressBarFrom = 200;

    /// <summary>Most bad images listed one per line; the rest are counted.</summary>
    const int ListedAtMost = 50;

    readonly Option<double> _maxMegapixels = new Option<double>("--max-image-megapixels")
    {
        Description = "Largest image accepted, in megapixels (checked from the file header before decoding).",
        DefaultValueFactory = _ => new InputLimits().MaxImagePixels / 1e6,
    }.InRange(0, 1e6, aboveMin: true);

    /// <summary>Adds <c>--max-image-megapixels</c> to <paramref name="command"/>.</summary>
    public void AddTo(Command command) => command.Options.Add(_maxMegapixels);

    /// <summary>Sets <see cref="InputLimits.Default"/> from the command line (every run sets it, so one run's value
    /// never leaks into the next).</summary>
    public void ApplyLimits(ParseResult parse)
    {
        double megapixels = parse.GetValue(_maxMegapixels);
        // At least one pixel: a limit that rounds to none would refuse every image as "above the limit of 0".
        InputLimits.Default = new InputLimits { MaxImagePixels = Math.Max(1, (long)Math.Round(megapixels * 1e6)) };
    }

    /// <summary>
    /// Checks the headers of <paramref name="paths"/> (<paramref name="what"/> names the set in messages). Returns the
    /// positions of the bad ones when <paramref name="skipBad"/>, after listing them on standard error; otherwise the
    /// first bad image is thrown, so that nothing is started.
    /// </summary>
    public static IReadOnlySet<int> Check(IReadOnlyList<string> paths, bool skipBad, string what)
    {
        var bad = new List<(int Index, InvalidInputException Problem)>();
        void CheckOne(int i)
        {
            try
            {
                Data.ImageDecoder.ReadHeader(paths[i]);
            }
            catch (InvalidInputException e)
            {
                bad.Add((i, e));
            }
        }
        if (paths.Count >= ProgressBarFrom && Terminal.Interactive)
        {
            Terminal.Current().Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"checking {what}", maxValue: paths.Count);
                    for (int i = 0; i < paths.Count; i++)
                    {
                        CheckOne(i);
                        task.Increment(1);
                    }
                });
        }
        else
        {
            if (paths.Count >= ProgressBarFrom) Console.WriteLine($"checking {paths.Count} {what}…");
            for (int i = 0; i < paths.Count; i++) CheckOne(i);
        }
        if (bad.Count == 0) return new HashSet<int>();
        if (!skipBad)
        {
            var first = bad[0].Problem;
            string more = bad.Count > 1 ? $"; {bad.Count} bad {what} in all" : "";
            throw new InvalidInputException(first.FilePath, $"{ProblemOf(first)}{more}; --skip-bad-images skips bad images", first);
        }
        foreach (var (_, problem) in bad.Take(ListedAtMost)) Console.Error.WriteLine($"warning: skipping {problem.Message}");
        if (bad.Count > ListedAtMost) Console.Error.WriteLine($"warning: … and {bad.Count - ListedAtMost} more bad {what}");
        Console.Error.WriteLine($"warning: {bad.Count} of {paths.Count} {what} skipped");
        return bad.Select(b => b.Index).ToHashSet();
    }

    /// <summary>The problem without the file name prefix.</summary>
    internal static string ProblemOf(InvalidInputException e) =>
        e.FilePath is string file && e.Message.StartsWith(file + ": ", StringComparison.Ordinal) ? e.Message[(file.Length + 2)..] : e.Message;
}
