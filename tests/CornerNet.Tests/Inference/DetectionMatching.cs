using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

/// <summary>One-to-one matching of detection rows by equal class, box and score within tolerances (README rule).</summary>
static class DetectionMatching
{
    /// <summary>A row: class, four box coordinates, score.</summary>
    public readonly record struct Row(int Class, float X1, float Y1, float X2, float Y2, float Score);

    /// <summary>
    /// Asserts that <paramref name="actual"/> and <paramref name="expected"/> have the same count and can be paired one to
    /// one; returns the largest box and score deviations of the pairing.
    /// </summary>
    public static (double Box, double Score) AssertOneToOne(IReadOnlyList<Row> expected, IReadOnlyList<Row> actual, double boxTol, double scoreTol)
    {
        Assert.Equal(expected.Count, actual.Count);
        var used = new bool[actual.Count];
        double maxBox = 0, maxScore = 0;
        for (int e = 0; e < expected.Count; e++)
        {
            var x = expected[e];
            int best = -1;
            double bestBox = double.MaxValue, bestScore = 0;
            for (int a = 0; a < actual.Count; a++)
            {
                if (used[a] || actual[a].Class != x.Class) continue;
                var y = actual[a];
                double box = new[] { Math.Abs(x.X1 - y.X1), Math.Abs(x.Y1 - y.Y1), Math.Abs(x.X2 - y.X2), Math.Abs(x.Y2 - y.Y2) }.Max();
                double score = Math.Abs(x.Score - y.Score);
                if (box <= boxTol && score <= scoreTol && box + score < bestBox)
                {
                    best = a;
                    bestBox = box + score;
                    bestScore = score;
                    if (box + score == 0) break;
                }
            }
            Assert.True(best >= 0, $"expected row {e} {x} has no match among the actual rows");
            used[best] = true;
            var m = actual[best];
            maxBox = Math.Max(maxBox, new[] { Math.Abs(x.X1 - m.X1), Math.Abs(x.Y1 - m.Y1), Math.Abs(x.X2 - m.X2), Math.Abs(x.Y2 - m.Y2) }.Max());
            maxScore = Math.Max(maxScore, bestScore);
        }
        return (maxBox, maxScore);
    }

    /// <summary>The rows of one image's decoded detections (rows × 8) whose score is not −1.</summary>
    public static List<Row> ValidRows(Tensor dets)
    {
        var d = dets.contiguous().data<float>().ToArray();
        var rows = new List<DetectionMatching.Row>();
        for (int r = 0; r < d.Length / 8; r++)
        {
            int o = r * 8;
            if (d[o + 4] == -1f) continue;
            rows.Add(new((int)d[o + 7], d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4]));
        }
        return rows;
    }
}
