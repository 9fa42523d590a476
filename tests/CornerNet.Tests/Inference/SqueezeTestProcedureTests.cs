using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Tests.Model;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

/// <summary>
/// The official CornerNet-Lite test procedure (<c>core/test/cornernet.py</c>, Squeeze config) on a coco128 photo, without
/// and with flip, against ../shared/fixtures/lite/squeeze_small_test.*.
/// </summary>
public class SqueezeTestProcedureTests(ITestOutputHelper output)
{
    const int Classes = 6;

    static SafeTensorsFile TestFixture => SafeTensorsFile.Read(Path.Combine(SqueezeModelTests.Lite, "squeeze_small_test.safetensors"));

    static DetectionOptions OptionsOf(string run) => DetectionOptions.OfficialSqueeze with { Flip = run == "flip" };

    static List<DetectionMatching.Row> Rows7(float[] data, long[] classes) =>
        Enumerable.Range(0, classes.Length).Select(r => new DetectionMatching.Row((int)classes[r], data[r * 7], data[r * 7 + 1], data[r * 7 + 2], data[r * 7 + 3], data[r * 7 + 4])).ToList();

    [FixtureFact]
    public void InputAndGeometryMatchTheOfficialOnes()
    {
        using var scope = NewDisposeScope();
        var file = TestFixture;
        var (input, g) = new ImagePreprocessor(stride: 8).Prepare(ImagePreprocessorTests.SourceImage(file), 1.0);
        var expected = file.Load("input");
        Assert.Equal(expected.shape, input.shape);
        Assert.Equal((16, 32), (g.OutputHeight, g.OutputWidth));
        Assert.Equal((3, 123, 47, 207), (g.Top, g.Bottom, g.Left, g.Right));
        double dev = (expected - input).abs().max().item<float>();
        output.WriteLine($"input max |Δ| = {dev:E2}");
        Assert.True(dev <= 1e-6, $"input max |Δ| = {dev}");
    }

    [FixtureTheory]
    [InlineData("single")]
    [InlineData("flip")]
    public void NetworkDetectionsMatchTheOfficialOnes(string run)
    {
        using var scope = NewDisposeScope();
        var file = TestFixture;
        using var model = SqueezeParityTests.LoadSmallSqueeze();
        var input = file.Load("input");
        var batch = run == "flip" ? ImagePreprocessor.WithMirror(input) : input;
        using var _ = no_grad();
        var h = model.forward(batch)[0];
        var dets = new CornerDecoder(DecodeOptions.For(model.Config)).Decode(h);
        var expected = file.Load($"{run}_dets");
        Assert.Equal(expected.shape, dets.shape);
        for (int i = 0; i < expected.shape[0]; i++)
        {
            var (box, score) = DetectionMatching.AssertOneToOne(DetectionMatching.ValidRows(expected[i]), DetectionMatching.ValidRows(dets[i]), 1e-3, 1e-5);
            output.WriteLine($"{run} image {i}: max box deviation {box:E2}, score {score:E2}");
        }
    }

    [FixtureTheory]
    [InlineData("single")]
    [InlineData("flip")]
    public void NmsInputFromTheOfficialDetectionsMatches(string run)
    {
        var file = TestFixture;
        var image = ImagePreprocessorTests.SourceImage(file);
        using var dets = file.Load($"{run}_dets");
        var g = ScaleGeometry.For(image.Height, image.Width, 1.0, stride: 8);
        var perClass = PostProcessor.SplitByClass([PostProcessor.ToImagePixels(dets.data<float>().ToArray(), (int)dets.shape[0], g)], Classes);
        var data = perClass.SelectMany(a => a).ToArray();
        var classes = perClass.SelectMany((a, c) => Enumerable.Repeat((long)c, a.Length / 7)).ToArray();
        using var expData = file.Load($"{run}_nms_input");
        using var expClass = file.Load($"{run}_nms_class");
        var (box, score) = DetectionMatching.AssertOneToOne(Rows7(expData.data<float>().ToArray(), expClass.data<long>().ToArray()), Rows7(data, classes), 1e-3, 1e-5);
        output.WriteLine($"{run}: {classes.Length} rows, max box deviation {box:E2}, score {score:E2}");
    }

    [FixtureTheory]
    [InlineData("single", 19)]
    [InlineData("flip", 37)]
    public void ProcedureFromPhotoToFinalDetectionsMatchesTheOfficialOne(string run, int count)
    {
        var file = TestFixture;
        using var model = SqueezeParityTests.LoadSmallSqueeze();
        var detections = DetectionPipeline.ForModel(model, OptionsOf(run)).Detect(ImagePreprocessorTests.SourceImage(file));
        using var final = file.Load($"{run}_final");
        var f = final.data<float>().ToArray();
        var expected = Enumerable.Range(0, f.Length / 6).Select(r => new DetectionMatching.Row((int)f[r * 6 + 5], f[r * 6], f[r * 6 + 1], f[r * 6 + 2], f[r * 6 + 3], f[r * 6 + 4])).ToList();
        Assert.Equal(count, expected.Count);
        var actual = detections.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList();
        var (box, score) = DetectionMatching.AssertOneToOne(expected, actual, 1e-3, 1e-5);
        output.WriteLine($"{run}: {actual.Count} final detections, max box deviation {box:E2}, score {score:E2}");
    }

    [FixtureFact]
    public void SqueezeModelsDecodeWithTheLiteSettingsByDefault()
    {
        using var model = SqueezeParityTests.LoadSmallSqueeze();
        var pipeline = DetectionPipeline.ForModel(model, new DetectionOptions { Flip = false });
        Assert.Equal(new DecodeOptions(K: 20, NumDets: 100), pipeline.Options.Decode);
    }
}
