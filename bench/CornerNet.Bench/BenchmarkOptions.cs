using CornerNet.Model;
using CornerNet.Runtime;

namespace CornerNet.Benchmarks;

/// <summary>What to measure and how often.</summary>
internal sealed record BenchmarkOptions
{
    /// <summary>Preset name, used in figure names (e.g. <c>hourglass104</c>).</summary>
    public string PresetName { get; init; } = "hourglass104";

    /// <summary>The architecture measured (random weights).</summary>
    public CornerNetConfig Config { get; init; } = ModelPresets.Hourglass104;

    /// <summary>Input side in pixels (square input; 511 in the paper). Must give a map the hourglass can halve
    /// evenly.</summary>
    public int Size { get; init; } = 511;

    /// <summary>Batch size of the training step and the loader.</summary>
    public int Batch { get; init; } = 2;

    /// <summary>Timed runs per figure (≥ 1).</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Untimed warm-up runs per figure.</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Which figures to measure.</summary>
    public BenchmarkSuite Suite { get; init; } = BenchmarkSuite.Standard;

    /// <summary>
    /// The network precision of the detection suites (batch, serve). The forward suite always records both: float32
    /// under the plain names and bfloat16 as <c>forward_…_bf16</c>.
    /// </summary>
    public Runtime.Precision Precision { get; init; } = Runtime.Precision.Fp32;

    /// <summary>Memory layout of the default forward records and the batch suite (auto: this host's choice).</summary>
    public Runtime.MemoryLayout Layout { get; init; } = Runtime.MemoryLayout.Auto;

    /// <summary>Folder of the <c>big</c> COCO evaluation case (<c>gt.json.gz</c>, <c>dets.json.gz</c>).</summary>
    public string EvaluateCase { get; init; } = Path.Combine("..", "shared", "fixtures", "cocoeval", "big");

    /// <summary>Checks the numbers; throws <see cref="InvalidInputException"/> naming the problem.</summary>
    public void Validate()
    {
        if (Runs < 1) throw new InvalidInputException(null, "--runs must be ≥ 1");
        if (Warmup < 0) throw new InvalidInputException(null, "--warmup must be ≥ 0");
        if (Batch < 1) throw new InvalidInputException(null, "--batch must be ≥ 1");
        if (Size < 1) throw new InvalidInputException(null, "--size must be ≥ 1");
        if (!Config.AcceptsInputSide(Size))
            throw new InvalidInputException(null, $"--size {Size} gives a {Config.OutputSizeFor(Size)}-pixel map, which {Config.Levels} hourglass levels cannot halve evenly (use e.g. 128k − 1)");
    }
}
