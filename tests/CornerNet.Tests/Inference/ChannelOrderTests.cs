using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Training;
using static TorchSharp.torch;

namespace CornerNet.Tests.Inference;

public class ChannelOrderTests
{
    static readonly CornerNetConfig Bgr = ModelPresets.Tiny with { Classes = 3 };
    static readonly CornerNetConfig Rgb = Bgr with { ChannelOrder = "RGB" };

    static BgrImage RandomImage(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new BgrImage(width, height, pixels);
    }

    static BgrImage SwapRedBlue(BgrImage image)
    {
        var pixels = (byte[])image.Pixels.Clone();
        for (int i = 0; i < pixels.Length; i += 3) (pixels[i], pixels[i + 2]) = (pixels[i + 2], pixels[i]);
        return new BgrImage(image.Width, image.Height, pixels);
    }

    /// <summary>The normalized batch a pipeline for <paramref name="config"/> hands its network for <paramref name="image"/>.</summary>
    static float[] NetworkInput(CornerNetConfig config, BgrImage image)
    {
        float[]? seen = null;
        HeadOutputs Recording(Tensor batch)
        {
            seen = batch.data<float>().ToArray();
            long n = batch.shape[0], h = batch.shape[2] / 4, w = batch.shape[3] / 4;
            return new HeadOutputs(zeros(n, config.Classes, h, w), zeros(n, config.Classes, h, w), zeros(n, 1, h, w), zeros(n, 1, h, w),
                zeros(n, 2, h, w), zeros(n, 2, h, w));
        }
        using var scope = NewDisposeScope();
        DetectionPipeline.ForNetwork(Recording, config, new DetectionOptions { Flip = false }).Detect(image);
        return seen!;
    }

    [Fact]
    public void TestProcedureGivesAnRgbModelTheRedChannelFirst()
    {
        var image = RandomImage(40, 30, seed: 1);
        var rgbInput = NetworkInput(Rgb, image);
        Assert.Equal(NetworkInput(Bgr, SwapRedBlue(image)), rgbInput);
        Assert.NotEqual(NetworkInput(Bgr, image), rgbInput);
    }

    [Fact]
    public void TrainingSamplesGiveAnRgbModelTheRedChannelFirst()
    {
        var image = RandomImage(8, 6, seed: 2);
        var rgb = Rgb.Normalization.ToChw(FloatImage.FromBytes(image));
        Assert.Equal(Bgr.Normalization.ToChw(FloatImage.FromBytes(SwapRedBlue(image))), rgb);
        Assert.NotEqual(Bgr.Normalization.ToChw(FloatImage.FromBytes(image)), rgb);
    }

    [Fact]
    public void ValidationDuringTrainingHonoursAnRgbModel()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-rgb").FullName;
        try
        {
            SyntheticShapesDataset.Write(Path.Combine(root, "bgr"), images: 2, seed: 3, new SyntheticShapes(size: 64, maxObjects: 2));
            var bgrData = CocoDataset.Open(Path.Combine(root, "bgr", "annotations.json"), Path.Combine(root, "bgr", "images"));
            // The same dataset with red and blue swapped in every image file.
            Directory.CreateDirectory(Path.Combine(root, "swapped"));
            for (int i = 0; i < bgrData.Count; i++)
                ImageEncoder.SavePng(SwapRedBlue(ImageDecoder.Decode(bgrData.ImagePath(i))), Path.Combine(root, "swapped", Path.GetFileName(bgrData.ImagePath(i))));
            var swappedData = CocoDataset.Open(Path.Combine(root, "bgr", "annotations.json"), Path.Combine(root, "swapped"));
            var config = Bgr with { Classes = bgrData.Classes.Count };

            manual_seed(11);
            using var bgrModel = new CornerNetModel(config);
            manual_seed(11);
            using var rgbModel = new CornerNetModel(config with { ChannelOrder = "RGB" });
            bgrModel.eval();
            rgbModel.eval();
            var options = new DetectionOptions { Flip = false };
            var expected = DatasetDetection.ToCoco(DatasetDetection.Run(Detector.Borrowing(bgrModel, bgrData.Classes, options), swappedData));
            var actual = DatasetDetection.ToCoco(DatasetDetection.Run(Detector.Borrowing(rgbModel, bgrData.Classes, options), bgrData));
            Assert.NotEmpty(actual);
            Assert.Equal(expected, actual);
            Assert.Equal(ModelValidation.Evaluate(bgrModel, swappedData).AP, ModelValidation.Evaluate(rgbModel, bgrData).AP);
        }
        finally { Directory.Delete(root, true); }
    }
}
