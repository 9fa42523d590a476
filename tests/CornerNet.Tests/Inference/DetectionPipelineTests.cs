using CornerNet.Model;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class DetectionPipelineTests(ITestOutputHelper output)
{
    [FixtureTheory]
    [InlineData("single")]
    [InlineData("multi")]
    public void OfficialProcedureFromImageToFinalDetectionsMatchesOfficial(string run)
    {
        var file = ImagePreprocessorTests.TestFixture;
        var image = ImagePreprocessorTests.SourceImage(file);
        var scales = PostProcessorTests.ScalesOf(run);
        int call = 0;
        // Stands in for network + decoder: checks the batch it is given, answers with the official decoder's output.
        Tensor StoredDecoding(Tensor batch)
        {
            string s = scales[call++];
            using var expected = file.Load($"{run}_scale{s}_input");
            Assert.True(batch.Equals(cat(new[] { expected, expected.flip(3) }, 0)), $"scale {s}: the batch differs from the official input and its mirror");
            return file.Load($"{run}_scale{s}_dets");
        }
        var pipeline = DetectionPipeline.FromDecodedBatches(StoredDecoding, 10, PostProcessorTests.OptionsOf(run));
        var detections = pipeline.Detect(image);
        Assert.Equal(scales.Length, call);

        using var final = file.Load($"{run}_final");
        var f = final.data<float>().ToArray();
        var expectedRows = Enumerable.Range(0, f.Length / 6).Select(r => new DetectionMatching.Row((int)f[r * 6 + 5], f[r * 6], f[r * 6 + 1], f[r * 6 + 2], f[r * 6 + 3], f[r * 6 + 4])).ToList();
        var actualRows = detections.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList();
        var (box, score) = DetectionMatching.AssertOneToOne(expectedRows, actualRows, 1e-3, 1e-5);
        output.WriteLine($"{run}: {detections.Count} detections, max box deviation {box:E2}, score {score:E2}");
    }

    [FixtureFact]
    public void NetworkHeadsAreDecodedAndMappedToImagePixels()
    {
        using var scope = NewDisposeScope();
        var io = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_io.safetensors"));
        var heads = new HeadOutputs(io.Load("tl_heats_wide"), io.Load("br_heats_wide"), io.Load("tl_tags_wide"),
            io.Load("br_tags_wide"), io.Load("tl_regrs_wide"), io.Load("br_regrs_wide"));
        // A 100×150 image at scale 1 gives a 127×255 input and 32×64 maps, the shape of the io fixture's wide heads.
        var image = new BgrImage(150, 100, new byte[100 * 150 * 3]);
        long[]? seen = null;
        var options = new DetectionOptions { Flip = false, Nms = new SoftNmsOptions { Method = NmsMethod.None }, MaxPerImage = 100_000 };
        var detections = new DetectionPipeline(batch => { seen = batch.shape; return heads; }, 10, options).Detect(image);
        Assert.Equal(new long[] { 1, 3, 127, 255 }, seen);

        var g = ScaleGeometry.For(100, 150, 1.0);
        var expected = PostProcessor.SplitByClass([PostProcessor.ToImagePixels(io.Load("detections_wide").data<float>().ToArray(), 1, g)], 10);
        var expectedRows = expected.SelectMany((rows, c) => Enumerable.Range(0, rows.Length / 7)
            .Select(r => new DetectionMatching.Row(c, rows[r * 7], rows[r * 7 + 1], rows[r * 7 + 2], rows[r * 7 + 3], rows[r * 7 + 4]))).ToList();
        Assert.Equal(378, expectedRows.Count);
        var actualRows = detections.Select(d => new DetectionMatching.Row(d.ClassIndex, d.X1, d.Y1, d.X2, d.Y2, d.Score)).ToList();
        DetectionMatching.AssertOneToOne(expectedRows, actualRows, 1e-3, 1e-5);
    }

    [Fact]
    public void WrongClassCountFromTheNetworkIsReported()
    {
        using var scope = NewDisposeScope();
        var heads = new HeadOutputs(zeros(1, 3, 32, 32), zeros(1, 3, 32, 32), zeros(1, 1, 32, 32), zeros(1, 1, 32, 32), zeros(1, 2, 32, 32), zeros(1, 2, 32, 32));
        var pipeline = new DetectionPipeline(_ => heads, 80, new DetectionOptions { Flip = false });
        var e = Assert.Throws<InvalidOperationException>(() => pipeline.Detect(new BgrImage(100, 100, new byte[100 * 100 * 3])));
        Assert.Contains("3 heatmap channels", e.Message);
    }

    [Fact]
    public void RepeatedDetectionLeavesNoLiveTensors()
    {
        var generator = new TorchSharp.torch.Generator(7);
        HeadOutputs RandomHeads(Tensor batch)
        {
            long b = batch.shape[0], h = (batch.shape[2] + 1) / 4, w = (batch.shape[3] + 1) / 4;
            return new HeadOutputs(randn(b, 3, h, w, generator: generator), randn(b, 3, h, w, generator: generator),
                randn(b, 1, h, w, generator: generator), randn(b, 1, h, w, generator: generator),
                rand(b, 2, h, w, generator: generator), rand(b, 2, h, w, generator: generator));
        }
        var pipeline = new DetectionPipeline(RandomHeads, 3, new DetectionOptions { Scales = [0.5, 1.0] });
        var image = new BgrImage(80, 60, Enumerable.Range(0, 60 * 80 * 3).Select(i => (byte)(i * 7)).ToArray());
        long before = 0;
        for (int step = 0; step < 3; step++)
        {
            if (step == 1) before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Assert.NotEmpty(pipeline.Detect(image));
        }
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
