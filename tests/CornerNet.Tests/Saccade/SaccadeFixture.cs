using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Tests.Inference;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Saccade;

/// <summary>The test-procedure fixture of ../shared/fixtures/saccade and its configurations.</summary>
static class SaccadeFixture
{
    public static SafeTensorsFile Test() =>
        SafeTensorsFile.Read(Path.Combine(Fixtures.Saccade, "saccade_small_test.safetensors"));

    /// <summary>The fixture's <c>official</c> configuration scaled to the small model (input 127, init [96,
    /// 127]).</summary>
    public static SaccadeTestSettings Official { get; } = new()
    {
        InputSize = [127, 127],
        OutputSize = [32, 32],
        InitSizes = [96, 127],
    };

    /// <summary>The fixture's <c>two_rounds</c> configuration.</summary>
    public static SaccadeTestSettings TwoRounds { get; } = Official with
    {
        AttentionThresholds = [0.3, 0.3],
        AttentionScales = [[1, 2, 4], [1, 2, 4]],
        MaxCrops = 9,
        MaxPerImage = 50,
    };

    public static BgrImage Photo(SafeTensorsFile test)
    {
        var pixels = test.Load("source_image");
        return new BgrImage((int)pixels.shape[1], (int)pixels.shape[0], pixels.contiguous().data<byte>().ToArray());
    }

    public static float[] Floats(Tensor t) => t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>Rows of an n×4 location tensor (F32 or F64).</summary>
    public static List<SaccadeLocation> Locations(Tensor t)
    {
        var v = t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        int columns = (int)t.shape[1];
        return Enumerable.Range(0, v.Length / columns)
            .Select(r => new SaccadeLocation(v[r * columns], v[r * columns + 1], v[r * columns + 2],
                columns > 3 ? v[r * columns + 3] : 0))
            .ToList();
    }

    /// <summary>Rows of an R×8 detection tensor.</summary>
    public static List<float[]> Rows(Tensor t)
    {
        var v = Floats(t);
        int columns = (int)t.shape[^1];
        return Enumerable.Range(0, v.Length / columns).Select(r => v.AsSpan(r * columns, columns).ToArray()).ToList();
    }

    /// <summary>Detection rows (x1, y1, x2, y2, score, …, class in <paramref name="classColumn"/>) for
    /// matching.</summary>
    public static List<DetectionMatching.Row> Matchable(IEnumerable<float[]> rows, int classColumn) =>
        rows.Select(r => new DetectionMatching.Row((int)r[classColumn], r[0], r[1], r[2], r[3], r[4])).ToList();

    /// <summary>
    /// The README's rule for locations: the same count, equal int(y), int(x) and crop sides, values within 1e-3.
    /// </summary>
    public static void AssertLocations(IReadOnlyList<SaccadeLocation> expected, IReadOnlyList<SaccadeLocation> actual,
        int inputSize, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} locations, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.True((int)e.Y == (int)a.Y && (int)e.X == (int)a.X, $"{what}[{i}]: centre {a} vs {e}");
            Assert.True((int)(inputSize / e.Scale) == (int)(inputSize / a.Scale), $"{what}[{i}]: crop side {a} vs {e}");
            double diff = new[] { e.Y - a.Y, e.X - a.X, e.Scale - a.Scale, e.Score - a.Score }.Max(Math.Abs);
            Assert.True(diff <= 1e-3, $"{what}[{i}]: {a} vs {e}");
        }
    }

    public static double MaxAbsDiff(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }
}
