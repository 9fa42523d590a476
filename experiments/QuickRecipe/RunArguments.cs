using System.Globalization;

namespace CornerNet.Experiments;

/// <summary>"--key value" pairs; every key must be read, so a misspelt option fails instead of being ignored.</summary>
sealed class RunArguments
{
    readonly Dictionary<string, string> _values = new();
    readonly HashSet<string> _used = new();

    public static RunArguments Parse(string[] args)
    {
        var result = new RunArguments();
        if (args.Length % 2 != 0) throw new ArgumentException("arguments come in --key value pairs");
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"expected --key, got '{args[i]}'");
            result._values[args[i][2..]] = args[i + 1];
        }
        return result;
    }

    public string Text(string key, string fallback)
    {
        _used.Add(key);
        return _values.TryGetValue(key, out var v) ? v : fallback;
    }

    public int Int(string key, int fallback) => int.Parse(Text(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string key, double fallback) => double.Parse(Text(key, fallback.ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public int[] Ints(string key, int[] fallback)
    {
        _used.Add(key);
        if (!_values.TryGetValue(key, out var v)) return fallback;
        return v.Length == 0 ? [] : v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }

    public void RejectUnused()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown)}");
    }
}
