using System.Text.Json;
using System.Text.Json.Serialization;
using CornerNet.Data;
using CornerNet.Runtime;

namespace CornerNet.Model;

/// <summary>
/// Architecture and input conventions of a CornerNet model: everything needed to build the network and feed it.
/// Serialized as snake_case JSON in model files (<c>__metadata__.config</c>) and accepted by <c>--config FILE</c>.
/// Unknown keys are errors (a misspelt key would otherwise silently fall back to a default), and every size is
/// bounded so that a hostile or mistyped file cannot make the network builder hang or allocate without end.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CornerNetConfig
{
    /// <summary>
    /// The network family, written by its name: "hourglass" (<see cref="HourglassFamily"/>) or "squeeze"
    /// (<see cref="SqueezeFamily"/>). Model files without the key are "hourglass".
    /// </summary>
    [JsonPropertyName("family"), JsonConverter(typeof(FamilyNameConverter))]
    public NetworkFamily Family { get; init; } = HourglassFamily;

    /// <summary>The original CornerNet: residual hourglass, stride 4, 3×3 heads.</summary>
    public static NetworkFamily HourglassFamily { get; } = new global::CornerNet.Model.HourglassFamily();

    /// <summary>CornerNet-Squeeze of CornerNet-Lite: stride-8 stem, fire-module hourglass with transposed-convolution
    /// upsampling, 1×1 heads, Lite state-dict names.</summary>
    public static NetworkFamily SqueezeFamily { get; } = new global::CornerNet.Model.SqueezeFamily();

    /// <summary>Every family, by its <see cref="NetworkFamily.Name"/>; the first is the default. Official checkpoints
    /// are recognised in this order (the first family that owns the keys).</summary>
    internal static IReadOnlyList<NetworkFamily> Families { get; } = [HourglassFamily, SqueezeFamily];

    /// <summary>The family called <paramref name="name"/>, or null.</summary>
    static NetworkFamily? FamilyNamed(string? name) => Families.FirstOrDefault(f => f.Name == name);

    static string UnknownFamily(string? name) =>
        $"family '{name}' is not {string.Join(" or ", Families.Select(f => $"\"{f.Name}\""))}";

    /// <summary>Reads and writes a <see cref="NetworkFamily"/> as its name.</summary>
    sealed class FamilyNameConverter : JsonConverter<NetworkFamily>
    {
        public override NetworkFamily Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            return FamilyNamed(name) ?? throw new JsonException(UnknownFamily(name));
        }

        public override void Write(Utf8JsonWriter writer, NetworkFamily value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Name);
    }

    /// <summary>The block of this family that the memory-layout probe times (<see cref="AutoLayout"/>).</summary>

    /// <summary>Stem widths: the 7×7 stride-2 conv module and the stride-2 residual (paper: 128, 256).</summary>
    [JsonPropertyName("stem")] public int[] Stem { get; init; } = { 128, 256 };

    /// <summary>Number of stacked hourglasses (paper: 2).</summary>
    [JsonPropertyName("stacks")] public int Stacks { get; init; } = 2;

    /// <summary>Downsamplings per hourglass, the official <c>n</c> (paper: 5).</summary>
    [JsonPropertyName("levels")] public int Levels { get; init; } = 5;

    /// <summary>Hourglass widths per level, <see cref="Levels"/> + 1 entries; <c>dims[0]</c> must equal
    /// <c>stem[1]</c>.</summary>
    [JsonPropertyName("dims")] public int[] Dims { get; init; } = { 256, 256, 384, 384, 384, 512 };

    /// <summary>Residual modules per level, <see cref="Levels"/> + 1 entries (the last: the middle of the
    /// hourglass).</summary>
    [JsonPropertyName("modules")] public int[] Modules { get; init; } = { 2, 2, 2, 2, 2, 4 };

    /// <summary>Width of the feature map the prediction modules read (official <c>cnv_dim</c>, paper: 256).</summary>
    [JsonPropertyName("cnv_dim")] public int CnvDim { get; init; } = 256;

    /// <summary>Width of the corner pooling branches (fixed at 128 in the official code).</summary>
    [JsonPropertyName("pool_dim")] public int PoolDim { get; init; } = 128;

    /// <summary>Number of object classes (heatmap channels).</summary>
    [JsonPropertyName("classes")] public int Classes { get; init; } = 80;

    /// <summary>Corner pooling on (the paper) or off (Table 1 ablation; same parameters, pools become
    /// identities).</summary>
    [JsonPropertyName("corner_pooling")] public bool CornerPooling { get; init; } = true;

    /// <summary>Training input size [height, width] (paper: 511×511).</summary>
    [JsonPropertyName("input_size")] public int[] InputSize { get; init; } = { 511, 511 };

    /// <summary>Output (heatmap) size [height, width] (paper: 128×128).</summary>
    [JsonPropertyName("output_size")] public int[] OutputSize { get; init; } = { 128, 128 };

    /// <summary>Per-channel mean of input pixels scaled to [0, 1], in the model's channel order (BGR for the official
    /// weights).</summary>
    [JsonPropertyName("mean")] public double[] Mean { get; init; } = [.. ImageNormalization.CocoMean];

    /// <summary>Per-channel standard deviation, same order as <see cref="Mean"/>.</summary>
    [JsonPropertyName("std")] public double[] Std { get; init; } = [.. ImageNormalization.CocoStd];

    /// <summary>Channel order of the input the model expects: "BGR" (official weights) or "RGB".</summary>
    [JsonPropertyName("channel_order")] public string ChannelOrder { get; init; } = "BGR";

    /// <summary>How images become this model's input: <see cref="ChannelOrder"/>, <see cref="Mean"/> and
    /// <see cref="Std"/> as float32.</summary>
    [JsonIgnore]
    public ImageNormalization Normalization =>
        new(Mean.Select(v => (float)v).ToArray(), Std.Select(v => (float)v).ToArray(), Rgb: ChannelOrder == "RGB");

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    /// <summary>Serializes to compact JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates JSON; <paramref name="source"/> names the file for error messages.</summary>
    public static CornerNetConfig FromJson(string json, string source)
    {
        CheckKeys(json, source);
        CornerNetConfig? config;
        try { config = JsonSerializer.Deserialize<CornerNetConfig>(json, JsonOptions); }
        catch (JsonException e) { throw new InvalidInputException(source, $"model config is not valid JSON ({e.Message.Split('\n')[0]})"); }
        if (config is null) throw new InvalidInputException(source, "model config is empty");
        config.Validate(source);
        return config;
    }

    /// <summary>The JSON keys of a config, in declaration order.</summary>
    public static IReadOnlyList<string> Keys { get; } = typeof(CornerNetConfig).GetProperties()
        .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).OfType<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>().ToArray();

    /// <summary>Refuses keys that are not config keys, naming the first (a typo would otherwise leave the default in
    /// place).</summary>
    static void CheckKeys(string json, string source)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidInputException(source, $"model config is not valid JSON ({e.Message.Split('\n')[0]})"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidInputException(source, "model config must be a JSON object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!Keys.Contains(property.Name))
                    throw new InvalidInputException(source, $"model config: unknown key '{property.Name}' (known keys: {string.Join(", ", Keys)})");
                if (property.Name != "family") continue;
                var value = property.Value;
                string name = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                if (FamilyNamed(name) is null) throw new InvalidInputException(source, "model config: " + UnknownFamily(name));
            }
        }
    }

    /// <summary>Most stacked hourglasses accepted (the paper: 2).</summary>
    public const int MaxStacks = 16;

    /// <summary>Most hourglass levels accepted (the paper: 5).</summary>
    public const int MaxLevels = 10;

    /// <summary>Most residual modules per level accepted (the paper: 2 and 4).</summary>
    public const int MaxModules = 64;

    /// <summary>Widest layer accepted (the paper: 512).</summary>
    public const int MaxWidth = 8192;

    /// <summary>Most classes accepted (COCO: 80).</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Largest training input side accepted (the paper: 511).</summary>
    public const int MaxInputSide = 8192;

    /// <summary>Checks that the numbers describe a buildable network; throws naming
    /// <paramref name="source"/>.</summary>
    public void Validate(string source)
    {
        void Fail(string problem) => throw new InvalidInputException(source, "model config: " + problem);
        if (Family is null) Fail(UnknownFamily(null));
        if (Stem is not { Length: 2 } || Stem.Any(s => s <= 0)) Fail("stem must be two positive widths");
        if (Stacks < 1 || Stacks > MaxStacks) Fail($"stacks {Stacks} is not between 1 and {MaxStacks}");
        if (Levels < 1 || Levels > MaxLevels) Fail($"levels {Levels} is not between 1 and {MaxLevels}");
        if (Dims is null || Dims.Length != Levels + 1 || Dims.Any(d => d <= 0)) Fail($"dims must have levels + 1 = {Levels + 1} positive entries");
        if (Modules is null || Modules.Length != Levels + 1 || Modules.Any(m => m <= 0 || m > MaxModules)) Fail($"modules must have levels + 1 = {Levels + 1} entries between 1 and {MaxModules}");
        if (Dims![0] != Stem![1]) Fail($"dims[0] ({Dims[0]}) must equal stem[1] ({Stem[1]})");
        if (CnvDim <= 0 || PoolDim <= 0) Fail("cnv_dim and pool_dim must be positive");
        if (Family!.Problem(this) is { } problem) Fail(problem);
        if (Family.DenseWidths(this).FirstOrDefault(w => w > MaxWidth) is int wideWidth and > 0) Fail($"channel width {wideWidth} is above the limit of {MaxWidth}");
        if (Classes < 1 || Classes > MaxClasses) Fail($"classes {Classes} is not between 1 and {MaxClasses}");
        if (InputSize is not { Length: 2 } || OutputSize is not { Length: 2 }) Fail("input_size and output_size must be [height, width]");
        if (InputSize!.Any(side => side < 1 || side > MaxInputSide)) Fail($"input_size sides must be between 1 and {MaxInputSide}");
        double weights = ConvolutionWeights();
        long limit = InputLimits.Default.MaxModelParameters;
        if (weights > limit)
            Fail($"describes a network of {weights / 1e9:0.##} billion weights ({weights * 4 / 1e9:0.#} GB), above the limit of {limit / 1e9:0.##} billion (InputLimits.MaxModelParameters)");
        if (Mean is not { Length: 3 } || Std is not { Length: 3 } || Std.Any(s => s <= 0)) Fail("mean and std must have 3 entries, std positive");
        if (ChannelOrder is not ("BGR" or "RGB")) Fail("channel_order must be \"BGR\" or \"RGB\"");
        for (int axis = 0; axis < 2; axis++)
        {
            int expected = OutputSizeFor(InputSize![axis]);
            if (OutputSize![axis] != expected) Fail($"output_size {OutputSize[axis]} does not match input_size {InputSize[axis]} (the network gives {expected})");
            if (!AcceptsInputSide(InputSize[axis])) Fail($"input_size {InputSize[axis]} gives a {expected}-pixel map, which {Levels} hourglass levels cannot halve evenly (use e.g. 128k − 1)");
        }
    }

    /// <summary>
    /// Convolution weights of the network (every stack's heads; biases and BatchNorm, under 1 %, not counted), in
    /// floating point so that no size overflows: 201 million for Hourglass-104. Assumes the structural checks passed.
    /// </summary>
    public double ConvolutionWeights() => ConvolutionCount.Of(this, 1, 1, everyStack: true).Weights;

    /// <summary>This configuration for square inputs of <paramref name="side"/> pixels (and the heatmap size they
    /// give).</summary>
    public CornerNetConfig WithSquareInput(int side) =>
        this with { InputSize = [side, side], OutputSize = [OutputSizeFor(side), OutputSizeFor(side)] };

    /// <summary>Whether an input side of <paramref name="input"/> pixels gives a heatmap that the hourglass levels can
    /// halve evenly.</summary>
    public bool AcceptsInputSide(int input) => input >= 1 && OutputSizeFor(input) % (1 << Levels) == 0;

    /// <summary>
    /// Heatmap size the network produces for an input side of <paramref name="input"/> pixels: ⌈input / 2⌉ per
    /// stride-2 stem layer.
    /// </summary>
    public int OutputSizeFor(int input)
    {
        int size = input;
        for (int stride = 1; stride < Stride; stride *= 2) size = (size + 1) / 2;
        return size;
    }

    /// <summary>Total downsampling from input to heatmap, the family's stem stride: 4 (hourglass) or 8
    /// (squeeze).</summary>
    [JsonIgnore] public int Stride => Family.Stride;
}
