using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class PostProcessorTests(ITestOutputHelper output)
{
    internal static readonly string[] SingleScales = ["1"];
    internal static readonly string[] MultiScales = ["0.5", "0.75", "1", "1.25", "1.5"];
    const int Classes = 10;

    internal static string[] ScalesOf(string run) => run == "single" ? SingleScales : MultiScales;

    internal static DetectionOptions OptionsOf(string run) => run == "single" ? DetectionOptions.OfficialSingleScale : DetectionOptions.OfficialMultiScale;

    internal static List<(float[] Decoded, int Batch, ScaleGeometry Geometry)> FixtureDets(SafeTensorsFile file, string run, BgrImage image)
    {
        var list = new List<(float[], int, ScaleGeometry)>();
        foreach (var s in ScalesOf(run))
        {
            using var dets = file.Load($"{run}_scale{s}_dets");
            var g = ScaleGeometry.For(image.Height, image.Width, double.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
            list.Add((dets.data<float>().ToArray(), (int)dets.shape[0], g));
        }
        return list;
    }

    static List<DetectionMatching.Row> Rows7(float[] data, long[] classes)
    {
        var rows = new List<DetectionMatching.Row>();
        for (int r = 0; r < classes.Length; r++)
        {
            int o = r * 7;
            rows.Add(new((int)classes[r], data[o], data[o + 1], data[o + 2], data[o + 3], data[o + 4]));
        }
        return rows;
    }

    static (float[] Data, long[] Classes) Flatten(float[][] perClass)
    {
        var data = perClass.SelectMany(a => a).ToArray();
        var classes = perClass.SelectMany((a, c) => Enumerable.Repeat((long)c, a.Length / 7)).ToArray();
        return (data, classes);
    }

    static double MaxAbs(float[] a, float[] b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(0).Max();

    [FixtureTheory]
    [InlineData("single")]
    [InlineData("multi")]
    public void NmsInputMatchesOfficial(string run)
    {
        var file = ImagePreprocessorTests.TestFixture;
        var image = ImagePreprocessorTests.SourceImage(file);
        var perClass = PostProcessor.SplitByClass(
            FixtureDets(file, run, image).Select(s => PostProcessor.ToImagePixels(s.Decoded, s.Batch, s.Geometry)), Classes);
        var (data, classes) = Flatten(perClass);
        using var expData = file.Load($"{run}_nms_input");
        using var expClass = file.Load($"{run}_nms_class");
        var e = expData.data<float>().ToArray();
        var (box, score) = DetectionMatching.AssertOneToOne(Rows7(e, expClass.data<long>().ToArray()), Rows7(data, classes), 1e-3, 1e-5);
        output.WriteLine($"{run}: {classes.Length} rows; one-to-one max box deviation {box:E2}, score {score:E2}; row by row over 7 columns {MaxAbs(e, data):E2}");
    }

    [FixtureTheory]
    [InlineData("single")]
    [InlineData("multi")]
    public void SoftNmsOnOfficialInputMatchesOfficialOutputAllRows(string run)
    {
        var file = ImagePreprocessorTests.TestFixture;
        using var inData = file.Load($"{run}_nms_input");
        using var inClass = file.Load($"{run}_nms_class");
        using var expData = file.Load($"{run}_nms_output");
        var input = inData.data<float>().ToArray();
        var classes = inClass.data<long>().ToArray();
        var actual = new float[input.Length];
        var nmsOptions = OptionsOf(run).Nms;
        int start = 0;
        while (start < classes.Length)
        {
            int end = start;
            while (end < classes.Length && classes[end] == classes[start]) end++;
            var rows = input[(start * 7)..(end * 7)];
            SoftNms.Apply(rows, nmsOptions);
            rows.CopyTo(actual, start * 7);
            start = end;
        }
        var e = expData.data<float>().ToArray();
        var (box, score) = DetectionMatching.AssertOneToOne(Rows7(e, classes), Rows7(actual, classes), 1e-3, 1e-5);
        output.WriteLine($"{run}: one-to-one max box deviation {box:E2}, score {score:E2}; row by row over 7 columns {MaxAbs(e, actual):E2}");
    }

    [FixtureTheory]
    [InlineData("single")]
    [InlineData("multi")]
    public void FinalDetectionsFromDecodedRowsMatchOfficial(string run)
    {
        var file = ImagePreprocessorTests.TestFixture;
        var image = ImagePreprocessorTests.SourceImage(file);
        var detections = new PostProcessor(OptionsOf(run)).Process(FixtureDets(file, run, image), Classes);
        using var final = file.Load($"{run}_final");
        var f = final.data<float>().ToArray();
        var expected = Enumerable.Range(0, f.Length / 6).Select(r => new DetectionMatching.Row((int)f[r * 6 + 5], f[r * 6], f[r * 6 + 1], f[r * 6 + 2], f[r * 6 + 3], f[r * 6 + 4])).ToList();
        var actual = detections.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList();
        var (box, score) = DetectionMatching.AssertOneToOne(expected, actual, 1e-3, 1e-5);
        double rowByRow = expected.Zip(actual, (x, y) => new[] { x.X1 - y.X1, x.Y1 - y.Y1, x.X2 - y.X2, x.Y2 - y.Y2, x.Score - y.Score }.Max(Math.Abs)).Max();
        output.WriteLine($"{run}: {actual.Count} detections; one-to-one max box deviation {box:E2}, score {score:E2}; row by row {rowByRow:E2}");
    }

    [Fact]
    public void MirrorRowsAreFlippedThenAllRowsMappedToImagePixels()
    {
        // 100×150 image at scale 1: canvas 127×255, output 32×64, offsets top 13 (63 − 50), left 52 (127 − 75).
        var g = ScaleGeometry.For(100, 150, 1.0);
        Assert.Equal((13, 52, 32, 64), (g.Top, g.Left, g.OutputHeight, g.OutputWidth));
        var decoded = new float[] { 20, 5, 30, 10, 0.5f, 0.4f, 0.6f, 3, /* mirror: */ 20, 5, 30, 10, 0.5f, 0.4f, 0.6f, 3 };
        var rows = PostProcessor.ToImagePixels(decoded, 2, g);
        float wr = (float)(64.0 / 255), hr = (float)(32.0 / 127);
        Assert.Equal(new[] { 20 / wr - 52, 5 / hr - 13, 30 / wr - 52, 10 / hr - 13 }, rows[..4]);
        Assert.Equal(new[] { (64f - 30) / wr - 52, (64f - 20) / wr - 52 }, new[] { rows[8], rows[10] });
        Assert.Equal(decoded[4..8], rows[4..8]);
    }

    [Fact]
    public void CoordinatesAreClippedToTheResizedImageAndDividedByScale()
    {
        var g = ScaleGeometry.For(100, 150, 0.5); // resized 50×75 in a 127×127 canvas, offsets 38 and 26
        var rows = PostProcessor.ToImagePixels([0, 0, 31, 31, 0.9f, 0.9f, 0.9f, 0], 1, g);
        Assert.Equal(new[] { 0f, 0f, 150f, 100f }, rows[..4]);
    }

    [Fact]
    public void RejectedPairsAreDroppedAndRowsSplitByClassInOrder()
    {
        float[] a = [1, 1, 2, 2, 0.5f, 0.5f, 0.5f, 1, 0, 0, 1, 1, -1, 0.1f, 0.1f, 0, 3, 3, 4, 4, 0.7f, 0.6f, 0.8f, 1];
        float[] b = [5, 5, 6, 6, 0.2f, 0.2f, 0.2f, 0];
        var perClass = PostProcessor.SplitByClass([a, b], 2);
        Assert.Equal(new float[] { 5, 5, 6, 6, 0.2f, 0.2f, 0.2f }, perClass[0]);
        Assert.Equal(new float[] { 1, 1, 2, 2, 0.5f, 0.5f, 0.5f, 3, 3, 4, 4, 0.7f, 0.6f, 0.8f }, perClass[1]);
    }

    [Fact]
    public void TopSelectionKeepsTiesAtTheCutScore()
    {
        float[] c0 = [0, 0, 1, 1, 0.9f, 0, 0, 0, 0, 1, 1, 0.5f, 0, 0];
        float[] c1 = [0, 0, 1, 1, 0.5f, 0, 0, 0, 0, 1, 1, 0.1f, 0, 0];
        var top = PostProcessor.SelectTop([c0, c1], 2);
        Assert.Equal(new[] { (0, 0.9f), (0, 0.5f), (1, 0.5f) }, top.Select(d => (d.ClassIndex, d.Score)));
    }

    [Fact]
    public void PaperDefaultDropsBoxesSoftNmsDiscardsWhileOfficialKeepsThem()
    {
        // Hard NMS on two heavily overlapping boxes (IoU 0.9 > 0.5): the second is discarded.
        float[] decoded = [0, 0, 9, 9, 0.9f, 0.9f, 0.9f, 0, 0, 0, 9, 8, 0.8f, 0.8f, 0.8f, 0];
        var g = ScaleGeometry.For(128, 128, 1.0);
        // Columns 0..3 in output-map pixels; map to something inside the image: shift by the canvas offset.
        for (int r = 0; r < 2; r++) for (int k = 0; k < 4; k++) decoded[r * 8 + k] = decoded[r * 8 + k] + (k % 2 == 0 ? g.Left : g.Top) * g.WidthRatio;
        var hard = new SoftNmsOptions { Method = NmsMethod.Hard };
        var paper = new PostProcessor(new DetectionOptions { Nms = hard }).Process([(decoded, 1, g)], 1);
        var official = new PostProcessor(new DetectionOptions { Nms = hard with { KeepSuppressedRows = true } }).Process([(decoded, 1, g)], 1);
        Assert.Equal(new[] { 0.9f }, paper.Select(d => d.Score));
        Assert.Equal(new[] { 0.9f, 0f }, official.Select(d => d.Score));
    }

    [Fact]
    public void CocoConversionUsesWidthHeightAndRoundsLikePython()
    {
        var raw = new DetectedObject(2, 3, "ring", 0.125f, 10.005f, 1.375f, 20.5f, 3.125f).ToCoco(42);
        var coco = raw.RoundedToTwoDecimals();
        Assert.Equal((42L, 3L), (coco.ImageId, coco.CategoryId));
        // 0.125 and 1.375 are exact binary ties: half to even. 10.005f is 10.00500011…: rounds up.
        Assert.Equal(0.12, coco.Score);
        Assert.Equal(new[] { 10.01, 1.38, Math.Round((double)(20.5f - 10.005f), 2), 1.75 }, new[] { coco.Box.X, coco.Box.Y, coco.Box.Width, coco.Box.Height });
        Assert.Equal((double)0.125f, raw.Score);
        Assert.Equal((double)(20.5f - 10.005f), raw.Box.Width);
    }
}
