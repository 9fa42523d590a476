using System.Text.Json;
using CornerNet.Data;
using CornerNet.Weights;

namespace CornerNet.Tests.Data;

/// <summary>Parity with the official sampler and test-time preprocessing (fixtures/reference).</summary>
public class OfficialSamplerParityTests
{
    static BgrImage LoadImage(SafeTensorsFile file, string name)
    {
        using var t = file.Load(name);
        var shape = t.shape;
        return new BgrImage((int)shape[1], (int)shape[0], t.data<byte>().ToArray());
    }

    [FixtureFact]
    public void FullImageCropResizeFlipNormaliseMatchesTheOfficialSamplerImagesAndBoxes()
    {
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_train.safetensors"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Reference, "small_cornernet_train.json")));
        var root = json.RootElement;
        var flipped = root.GetProperty("flipped").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        using var expected = file.Load("image");
        var expectedValues = expected.data<float>().ToArray();
        int plane = 3 * 127 * 127;
        for (int n = 0; n < 2; n++)
        {
            var image = LoadImage(file, $"source_image{n}");
            var boxes = root.GetProperty("source_images")[n].GetProperty("boxes_x1y1x2y2_category1based").EnumerateArray()
                .Select(b => new Box(b[0].GetSingle(), b[1].GetSingle(), b[2].GetSingle(), b[3].GetSingle())).ToArray();
            var (square, squareBoxes) = FullImageCrop.Apply(image, boxes);
            var (resized, resizedBoxes) = BoxResize.Apply(square, squareBoxes, 127, 127);
            var (clipped, _) = BoxClipping.Apply(resizedBoxes, new int[resizedBoxes.Length], 127, 127);
            if (flipped[n])
            {
                HorizontalFlip.ApplyInPlace(resized);
                clipped = HorizontalFlip.FlipBoxes(clipped, 127);
            }
            var input = ImageNormalization.Coco.ToChw(FloatImage.FromBytes(resized));
            double maxError = 0;
            for (int i = 0; i < plane; i++) maxError = Math.Max(maxError, Math.Abs(input[i] - expectedValues[n * plane + i]));
            Assert.True(maxError <= 1e-6, $"image {n}: max |Δ| = {maxError}");
            // The official targets encode each box corner as flat index y·32 + x plus a fractional offset.
            using var tlTags = file.Load("tl_tags");
            using var brTags = file.Load("br_tags");
            using var tlRegrs = file.Load("tl_regrs");
            using var brRegrs = file.Load("br_regrs");
            var tags = (tl: tlTags[n].data<long>().ToArray(), br: brTags[n].data<long>().ToArray());
            var regrs = (tl: tlRegrs[n].data<float>().ToArray(), br: brRegrs[n].data<float>().ToArray());
            Assert.Equal(3, clipped.Length);
            double ratio = 32.0 / 127.0;
            for (int k = 0; k < clipped.Length; k++)
            {
                var b = clipped[k];
                Assert.Equal(tags.tl[k] % 32 + regrs.tl[2 * k], b.X1 * ratio, tolerance: 1e-5);
                Assert.Equal(tags.tl[k] / 32 + regrs.tl[2 * k + 1], b.Y1 * ratio, tolerance: 1e-5);
                Assert.Equal(tags.br[k] % 32 + regrs.br[2 * k], b.X2 * ratio, tolerance: 1e-5);
                Assert.Equal(tags.br[k] / 32 + regrs.br[2 * k + 1], b.Y2 * ratio, tolerance: 1e-5);
            }
        }
    }

    [FixtureTheory]
    [InlineData("single_scale1_input", 1.0)]
    [InlineData("multi_scale0.5_input", 0.5)]
    [InlineData("multi_scale0.75_input", 0.75)]
    [InlineData("multi_scale1.25_input", 1.25)]
    [InlineData("multi_scale1.5_input", 1.5)]
    public void ResizeMatchesOpenCvOnTheTestPipelineInputs(string name, double scale)
    {
        var file = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_test.safetensors"));
        var source = LoadImage(file, "source_image");
        int h = (int)(source.Height * scale), w = (int)(source.Width * scale);
        var resized = OpenCvResize.Resize(source, w, h);
        var canvas = CenteredCrop.Apply(resized, w / 2, h / 2, w | 127, h | 127).Image;
        using var expected = file.Load(name);
        Assert.Equal(new long[] { 1, 3, h | 127, w | 127 }, expected.shape);
        var values = expected.data<float>().ToArray();
        var norm = ImageNormalization.Coco;
        int plane = canvas.Width * canvas.Height, mismatches = 0;
        var report = new List<string>();
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++)
            {
                // Back to the byte the official code resized to.
                int official = (int)Math.Round((values[c * plane + p] * (double)norm.Std[c] + norm.Mean[c]) * 255);
                if (official != canvas.Pixels[p * 3 + c]) { mismatches++; if (report.Count < 12) report.Add($"(x{p % canvas.Width} y{p / canvas.Width} c{c}: {official} vs {canvas.Pixels[p * 3 + c]})"); }
            }
        Assert.True(mismatches == 0, $"{mismatches} mismatches, canvas {canvas.Width}x{canvas.Height}, resized {w}x{h}: {string.Join(" ", report)}");
    }
}
