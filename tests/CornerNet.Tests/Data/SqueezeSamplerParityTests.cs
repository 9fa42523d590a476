using System.Text.Json;
using CornerNet.Data;
using CornerNet.Tests.Model;
using CornerNet.Training;
using CornerNet.Weights;
using Xunit.Abstractions;

namespace CornerNet.Tests.Data;

/// <summary>
/// The CornerNet-Lite sampler (no random crop: resize straight to the input size, no full-image crop) and its targets,
/// against ../shared/fixtures/lite/squeeze_small_train.*.
/// </summary>
public class SqueezeSamplerParityTests(ITestOutputHelper output)
{
    const int Side = 127, Map = 16, Classes = 6;

    static BgrImage LoadImage(SafeTensorsFile file, string name)
    {
        using var t = file.Load(name);
        return new BgrImage((int)t.shape[1], (int)t.shape[0], t.data<byte>().ToArray());
    }

    [FixtureFact]
    public void ImagesAndTargetsMatchTheOfficialLiteSampler()
    {
        var file = SafeTensorsFile.Read(Path.Combine(SqueezeModelTests.Lite, "squeeze_small_train.safetensors"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(SqueezeModelTests.Lite, "squeeze_small_train.json")));
        var root = json.RootElement;
        var flipped = root.GetProperty("flipped").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        var options = new AugmentationOptions
        {
            InputWidth = Side, InputHeight = Side, RandomCrop = false, FullImageCrop = false, Flip = false, ColorJitter = false, Lighting = false,
        };
        using var expectedImage = file.Load("image");
        var expectedValues = expectedImage.data<float>().ToArray();
        int plane = 3 * Side * Side;
        var perImage = new List<CornerTargets>();
        for (int n = 0; n < 2; n++)
        {
            var image = LoadImage(file, $"source_image{n}");
            var source = root.GetProperty("source_images")[n].GetProperty("boxes_x1y1x2y2_category1based").EnumerateArray().ToArray();
            var boxes = source.Select(b => new Box(b[0].GetSingle(), b[1].GetSingle(), b[2].GetSingle(), b[3].GetSingle())).ToArray();
            var classes = source.Select(b => (int)b[4].GetSingle() - 1).ToArray();
            // The builder without flip; the fixture's random flip (image 1) is applied the way the builder applies it.
            var sample = new TrainingSampleBuilder(options).Build(image, boxes, classes, new Random(0));
            var (resized, resizedBoxes) = BoxResize.Apply(image, boxes, Side, Side);
            var (clipped, keptClasses) = BoxClipping.Apply(resizedBoxes, classes, Side, Side);
            Assert.Equal(sample.Boxes, clipped);
            if (flipped[n])
            {
                HorizontalFlip.ApplyInPlace(resized);
                clipped = HorizontalFlip.FlipBoxes(clipped, Side);
            }
            var input = flipped[n] ? options.Normalization.ToChw(FloatImage.FromBytes(resized)) : sample.Input;
            double maxError = 0;
            for (int i = 0; i < plane; i++) maxError = Math.Max(maxError, Math.Abs(input[i] - expectedValues[n * plane + i]));
            output.WriteLine($"image {n}: max |Δ| = {maxError:E2}");
            Assert.True(maxError <= 1e-6, $"image {n}: max |Δ| = {maxError}");
            perImage.Add(CornerTargets.Build(clipped, keptClasses,
                new TargetOptions(Classes, Side, Side, Map, Map)));
        }
        using var batch = CornerTargetBatch.Stack(perImage, TorchSharp.torch.CPU);
        void Check(string name, TorchSharp.torch.Tensor actual, double tolerance)
        {
            using var expected = file.Load(name);
            using var typed = actual.to_type(expected.dtype);
            Assert.Equal(expected.shape, actual.shape);
            double maxDiff = (typed - expected).abs().max().to_type(TorchSharp.torch.ScalarType.Float64).item<double>();
            output.WriteLine($"{name}: max |Δ| = {maxDiff:E2}");
            Assert.True(maxDiff <= tolerance, $"{name}: max |Δ| = {maxDiff}");
        }
        Check("tl_heatmaps", batch.TopLeftHeatmaps, 1e-7);
        Check("br_heatmaps", batch.BottomRightHeatmaps, 1e-7);
        Check("tl_regrs", batch.TopLeftOffsets, 1e-6);
        Check("br_regrs", batch.BottomRightOffsets, 1e-6);
        Check("tl_tags", batch.TopLeftIndices, 0);
        Check("br_tags", batch.BottomRightIndices, 0);
        Check("tag_masks", batch.Mask, 0);
    }
}
