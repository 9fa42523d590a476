using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Training;
using Xunit.Abstractions;

namespace CornerNet.Tests.Training;

/// <summary>
/// The training issue's overfitting check: the tiny preset, trained without augmentation on 8 real images of coco128,
/// must find the objects of those same images again (AP50 ≥ 0.5 by the project's COCO evaluator).
/// </summary>
public class OverfitTests
{
    /// <summary>
    /// The first 8 train2017 images (in file order) with one or two boxes, each covering at least 10% of the image:
    /// at the tiny preset's 127×127 input every object stays larger than about 35 pixels, so the 32×32 output can
    /// resolve its corners. They hold 12 boxes of exactly 10 classes, the tiny preset's class count.
    /// </summary>
    static readonly string[] ImageFiles =
    [
        "000000000030.jpg", "000000000034.jpg", "000000000036.jpg", "000000000042.jpg",
        "000000000072.jpg", "000000000073.jpg", "000000000078.jpg", "000000000081.jpg",
    ];

    readonly ITestOutputHelper _output;

    public OverfitTests(ITestOutputHelper output) => _output = output;

    [FixtureFact]
    public void TinyPresetOverfitsEightCoco128Images()
    {
        var coco = CocoDataset.Open(Path.Combine(Fixtures.Coco128, "annotations", "instances_train2017.json"),
            Path.Combine(Fixtures.Coco128, "images", "train2017"));
        var subset = new CocoSubset(coco, ImageFiles);
        Assert.Equal(ModelPresets.Tiny.Classes, subset.Categories.Count);

        var options = new TrainOptions
        {
            Model = ModelPresets.Tiny,
            BatchSize = 8,
            // Measured: 100 steps at 2e-3 reach AP50 0.875 (loss flat from about step 75); the budget is CI time.
            Iterations = 100,
            LearningRate = 2e-3,
            Augment = false,
            Seed = 1,
            CheckpointEvery = 100000,
            Workers = 2,
        };
        string run = Directory.CreateTempSubdirectory("cornernet-overfit").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            var processorTime = Process.GetCurrentProcess().TotalProcessorTime;
            var trainer = new Trainer(options, subset, subset.Classes, run);
            trainer.Run();

            var (model, _) = ModelFile.Load(trainer.ModelPath);
            using (model)
            {
                var metrics = subset.Evaluate(model);
                _output.WriteLine($"trained and evaluated in {clock.Elapsed.TotalSeconds:F0} s wall, " +
                    $"{(Process.GetCurrentProcess().TotalProcessorTime - processorTime).TotalSeconds:F0} s CPU: AP50 {metrics.AP50:F3}, AP {metrics.AP:F3}");
                Assert.True(metrics.AP50 >= 0.5, $"AP50 {metrics.AP50:F3} on the training images (AP {metrics.AP:F3})");
            }
        }
        finally { Directory.Delete(run, true); }
    }

    /// <summary>A few images of a COCO dataset, their classes renumbered to those present, and COCO evaluation on them.</summary>
    sealed class CocoSubset : IDetectionSource
    {
        readonly CocoDataset _coco;
        readonly int[] _indices;
        readonly Dictionary<int, int> _classIndex;

        public IReadOnlyList<CocoCategory> Categories { get; }
        public ClassInfo[] Classes { get; }
        public CocoAnnotationFile GroundTruth { get; }
        public int Count => _indices.Length;

        public CocoSubset(CocoDataset coco, IReadOnlyList<string> fileNames)
        {
            _coco = coco;
            var byName = coco.Annotations.Images.Select((img, i) => (img.FileName, i)).ToDictionary(p => p.FileName, p => p.i);
            _indices = fileNames.Select(n => byName[n]).ToArray();
            var images = _indices.Select(i => coco.Annotations.Images[i]).ToArray();
            var imageIds = images.Select(img => img.Id).ToHashSet();
            var annotations = coco.Annotations.Annotations.Where(a => imageIds.Contains(a.ImageId)).ToArray();
            var categoryIds = annotations.Select(a => a.CategoryId).ToHashSet();
            Categories = coco.Annotations.Categories.Where(c => categoryIds.Contains(c.Id)).OrderBy(c => c.Id).ToArray();
            Classes = Categories.Select(c => new ClassInfo(checked((int)c.Id), c.Name)).ToArray();
            // Dataset class index (over all 80 categories) → index among the categories present here.
            _classIndex = Categories.Select((c, i) => (Dataset: coco.Classes.ToList().FindIndex(k => k.Id == c.Id), i))
                .ToDictionary(p => p.Dataset, p => p.i);
            GroundTruth = new CocoAnnotationFile("coco128 subset", images, annotations, Categories);
        }

        public LabeledImage Load(int index)
        {
            var sample = _coco.Load(_indices[index]);
            return sample with { Classes = sample.Classes.Select(c => _classIndex[c]).ToArray() };
        }

        /// <summary>
        /// COCO metrics of <paramref name="model"/> on these images. The trainer without augmentation centres each image
        /// in a black square of its longer side and resizes that to the input size; testing at scale input/max(h, w)
        /// gives the same picture (the test canvas is padded to the input size, centred, with the same zero pixels).
        /// No flip: the network never saw mirrored images.
        /// </summary>
        public CocoMetrics Evaluate(CornerNetModel model)
        {
            bool training = model.training;
            model.eval();
            try
            {
                var config = model.Config;
                var preprocessor = new ImagePreprocessor(config.Normalization);
                var detections = new List<CocoDetection>();
                for (int n = 0; n < Count; n++)
                {
                    var info = _coco.Annotations.Images[_indices[n]];
                    var test = new DetectionOptions { Scales = [config.InputSize[0] / (double)Math.Max(info.Width, info.Height)], Flip = false };
                    var pipeline = new DetectionPipeline(batch =>
                    {
                        var last = model.forward(batch)[^1];
                        return last;
                    }, config.Classes, test, preprocessor);
                    foreach (var d in pipeline.Detect(ImageDecoder.Decode(_coco.ImagePath(_indices[n]))))
                        detections.Add(new CocoDetection(info.Id, Categories[d.ClassIndex].Id, new CocoBox(d.X1, d.Y1, d.X2 - d.X1, d.Y2 - d.Y1), d.Score));
                }
                return CocoEvaluator.Evaluate(GroundTruth, detections);
            }
            finally
            {
                if (training) model.train();
            }
        }
    }
}
