using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class ImagePreprocessorTests(ITestOutputHelper output)
{
    internal static SafeTensorsFile TestFixture => SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_test.safetensors"));

    internal static BgrImage SourceImage(SafeTensorsFile file)
    {
        using var t = file.Load("source_image");
        return new BgrImage((int)t.shape[1], (int)t.shape[0], t.data<byte>().ToArray());
    }

    [FixtureTheory]
    [InlineData("single", "1")]
    [InlineData("multi", "0.5")]
    [InlineData("multi", "0.75")]
    [InlineData("multi", "1")]
    [InlineData("multi", "1.25")]
    [InlineData("multi", "1.5")]
    public void InputMatchesOfficialTestInput(string run, string scale)
    {
        using var scope = NewDisposeScope();
        var file = TestFixture;
        var (input, geometry) = new ImagePreprocessor().Prepare(SourceImage(file), double.Parse(scale, System.Globalization.CultureInfo.InvariantCulture));
        var expected = file.Load($"{run}_scale{scale}_input");
        Assert.Equal(expected.shape, input.shape);
        Assert.Equal((int)expected.shape[2], geometry.InputHeight);
        double dev = (expected - input).abs().max().item<float>();
        output.WriteLine($"{run} scale {scale}: input {string.Join('×', input.shape)}, max deviation {dev:E2}");
        Assert.True(dev <= 1e-6, $"max deviation {dev}");
    }

    [Fact]
    public void PaddingIsMinusMeanOverStdAndMirrorFlipsWidth()
    {
        using var scope = NewDisposeScope();
        var image = new BgrImage(6, 4, Enumerable.Range(0, 4 * 6 * 3).Select(i => (byte)(i * 3)).ToArray());
        var (input, g) = new ImagePreprocessor().Prepare(image, 1.0);
        Assert.Equal(new long[] { 1, 3, 127, 127 }, input.shape);
        Assert.Equal((61, 65, 60, 66), (g.Top, g.Bottom, g.Left, g.Right));
        Assert.Equal((32, 32), (g.OutputHeight, g.OutputWidth));
        float padding = input[0, 1, 0, 0].item<float>();
        Assert.Equal((float)((0 - (double)0.44719302f) / (double)0.27408164f), padding);
        // Pixel (row 0, column 0), channel R holds byte 2·3 = 6.
        Assert.Equal((float)((6 / 255.0 - (double)0.47026115f) / (double)0.27809835f), input[0, 2, 61, 60].item<float>());
        var batch = ImagePreprocessor.WithMirror(input);
        Assert.Equal(new long[] { 2, 3, 127, 127 }, batch.shape);
        Assert.True(batch[1, .., .., 126].Equals(input[0, .., .., 0]));
    }

    [Fact]
    public void ASideAlreadyOfTheForm128kMinus1LosesItsLastRowAsOfficially()
    {
        // crop_image centres with integer halves: 127 rows in a 127-row canvas start at 63 − 63 = 0 and end at 63 + 63.
        var g = ScaleGeometry.For(127, 200, 1.0);
        Assert.Equal((127, 0, 126), (g.InputHeight, g.Top, g.Bottom));
        Assert.Equal((255, 27, 227), (g.InputWidth, g.Left, g.Right));
    }

    [Fact]
    public void ExactHalvingAveragesTwoByTwoBlocksRoundingHalfUp()
    {
        // OpenCV treats an exact 2× reduction as INTER_AREA: (a + b + c + d + 2) >> 2 per channel.
        var gray = new byte[] { 0, 1, 2, 5, 10, 20, 255, 255 };
        var src = new BgrImage(4, 2, gray.SelectMany(v => new[] { v, v, v }).ToArray());
        var dst = OpenCvResize.Resize(src, 2, 1);
        byte left = (0 + 1 + 10 + 20 + 2) >> 2, right = (2 + 5 + 255 + 255 + 2) >> 2;
        Assert.Equal(new[] { left, left, left, right, right, right }, dst.Pixels);
    }
}
