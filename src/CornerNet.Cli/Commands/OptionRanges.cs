using System.CommandLine;
using System.Globalization;

namespace CornerNet.Cli.Commands;

/// <summary>
/// The checked range of every numeric option, as System.CommandLine validators: a value outside it is a parse error,
/// reported in one line with exit code 2 before any work starts (see <see cref="Program.Main"/>).
/// </summary>
internal static class OptionRanges
{
    /// <summary>Most libtorch / loader threads accepted (more only thrashes; 100000 made libtorch hang).</summary>
    internal const int MaxThreads = 1024;

    /// <summary><paramref name="option"/> must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> InRange(this Option<int> option, int min, int max) =>
        Checked(option, v => v >= min && v <= max, $"between {min} and {max}");

    /// <summary>Every value of <paramref name="option"/> must lie in [<paramref name="min"/>,
    /// <paramref name="max"/>].</summary>
    public static Option<int[]> EachInRange(this Option<int[]> option, int min, int max) =>
        Checked(option, v => v is null || v.All(x => x >= min && x <= max), $"between {min} and {max}");

    /// <summary>
    /// <paramref name="option"/> must be a finite number in [<paramref name="min"/>, <paramref name="max"/>], or in
    /// (<paramref name="min"/>, <paramref name="max"/>] when <paramref name="aboveMin"/>.
    /// </summary>
    public static Option<double> InRange(this Option<double> option, double min, double max, bool aboveMin = false) =>
        Checked(option, v => Within(v, min, max, aboveMin), Describe(min, max, aboveMin));

    /// <summary>As <see cref="InRange(Option{double}, double, double, bool)"/>, for an option that may be left
    /// out.</summary>
    public static Option<double?> InRange(this Option<double?> option, double min, double max, bool aboveMin = false) =>
        Checked(option, v => v is not double x || Within(x, min, max, aboveMin), Describe(min, max, aboveMin));

    /// <summary>As <see cref="InRange(Option{double}, double, double, bool)"/>, for a float option.</summary>
    public static Option<float> InRange(this Option<float> option, double min, double max, bool aboveMin = false) =>
        Checked(option, v => Within(v, min, max, aboveMin), Describe(min, max, aboveMin));

    /// <summary>Every value of <paramref name="option"/> must be a finite number in the range.</summary>
    public static Option<double[]> EachInRange(this Option<double[]> option, double min, double max, bool aboveMin = false) =>
        Checked(option, v => v is null || v.All(x => Within(x, min, max, aboveMin)), Describe(min, max, aboveMin));

    static bool Within(double v, double min, double max, bool aboveMin) =>
        double.IsFinite(v) && (aboveMin ? v > min : v >= min) && v <= max;

    static string Describe(double min, double max, bool aboveMin) =>
        aboveMin ? $"above {Format(min)} and at most {Format(max)}" : $"between {Format(min)} and {Format(max)}";

    static string Format(object? value) => value switch
    {
        null => "nothing",
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        float f => f.ToString("G", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => string.Join(" ", list.Cast<object>().Select(Format)),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    static Option<T> Checked<T>(Option<T> option, Func<T, bool> ok, string range)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a number at all: System.CommandLine reports that itself
            }
            if (!ok(value))
                result.AddError($"{option.Name} must be {range}, got {string.Join(" ", result.Tokens.Select(t => t.Value))}");
        });
        return option;
    }
}
