namespace CornerNet.Model;

/// <summary>Named architectures: the paper's Hourglass-104 and smaller ones for CPU work.</summary>
public static class ModelPresets
{
    /// <summary>The paper's network (§3.5, Hourglass-104): 201,035,212 parameters with 80 classes.</summary>
    public static CornerNetConfig Hourglass104 { get; } = new();

    /// <summary>
    /// The reduced official model of the parity fixtures: stem 16/32, 3 levels, dims 32-32-48-64, two modules per
    /// level, cnv_dim 32, 127×127 input, 32×32 output (2,241,092 parameters with 10 classes).
    /// </summary>
    public static CornerNetConfig Small { get; } = new()
    {
        Stem = new[] { 16, 32 }, Stacks = 2, Levels = 3, Dims = new[] { 32, 32, 48, 64 }, Modules = new[] { 2, 2, 2, 2 },
        CnvDim = 32, Classes = 10, InputSize = new[] { 127, 127 }, OutputSize = new[] { 32, 32 },
    };

    /// <summary>
    /// A network that trains on two CPU cores: one hourglass, 3 levels, narrow widths, 32-wide pooling branches,
    /// 127×127 input.
    /// </summary>
    public static CornerNetConfig Tiny { get; } = new()
    {
        Stem = new[] { 16, 32 }, Stacks = 1, Levels = 3, Dims = new[] { 32, 48, 48, 64 }, Modules = new[] { 1, 1, 1, 2 },
        CnvDim = 48, PoolDim = 32, Classes = 10, InputSize = new[] { 127, 127 }, OutputSize = new[] { 32, 32 },
    };

    /// <summary>
    /// CornerNet-Squeeze as released with CornerNet-Lite (<c>core/models/CornerNet_Squeeze.py</c>): stride-8 stem,
    /// 4 fire-module levels over 256-256-384-384-512, 511×511 input, 64×64 output, 31,771,852 parameters with 80
    /// classes.
    /// </summary>
    public static CornerNetConfig Squeeze { get; } = new()
    {
        Family = CornerNetConfig.SqueezeFamily, Stem = new[] { 128, 256 }, Stacks = 2, Levels = 4, Dims = new[] { 256, 256, 384, 384, 512 },
        Modules = new[] { 2, 2, 2, 2, 4 }, CnvDim = 256, Classes = 80, InputSize = new[] { 511, 511 }, OutputSize = new[] { 64, 64 },
    };

    /// <summary>
    /// A CornerNet-Squeeze that trains on two CPU cores: the <see cref="Tiny"/> widths with fire modules, 255×255
    /// input, 32×32 output (the tiny hourglass's map size).
    /// </summary>
    public static CornerNetConfig SqueezeTiny { get; } = new()
    {
        Family = CornerNetConfig.SqueezeFamily, Stem = new[] { 16, 32 }, Stacks = 1, Levels = 3, Dims = new[] { 32, 48, 48, 64 },
        Modules = new[] { 1, 1, 1, 2 }, CnvDim = 48, PoolDim = 32, Classes = 10, InputSize = new[] { 255, 255 }, OutputSize = new[] { 32, 32 },
    };

    /// <summary>Preset names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "hourglass104", "small", "tiny", "squeeze", "squeeze-tiny" };

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    public static CornerNetConfig Get(string name) => name.ToLowerInvariant() switch
    {
        "hourglass104" or "hourglass-104" => Hourglass104,
        "small" => Small,
        "tiny" => Tiny,
        "squeeze" => Squeeze,
        "squeeze-tiny" => SqueezeTiny,
        _ => throw new InvalidInputException(null, $"unknown model preset '{name}' (known: {string.Join(", ", Names)})"),
    };
}
