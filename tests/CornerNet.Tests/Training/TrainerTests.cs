using System.Globalization;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Training;

namespace CornerNet.Tests.Training;

public class TrainerTests
{
    static readonly CornerNetConfig Micro = new()
    {
        Stem = new[] { 8, 16 }, Stacks = 2, Levels = 2, Dims = new[] { 16, 16, 32 }, Modules = new[] { 1, 1, 1 },
        CnvDim = 16, PoolDim = 8, Classes = SyntheticShapes.ClassNames.Count, InputSize = new[] { 63, 63 }, OutputSize = new[] { 16, 16 },
    };

    static (TrainOptions Options, SyntheticShapesSource Source, ClassInfo[] Classes) Setup(int iterations) => (
        new TrainOptions { Model = Micro, BatchSize = 2, Iterations = iterations, LearningRate = 1e-3, Seed = 5, CheckpointEvery = 2, Workers = 2 },
        new SyntheticShapesSource(new SyntheticShapes(size: 64, maxObjects: 3), count: 6, seed: 3),
        SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray());

    static double[] Losses(string run) => File.ReadLines(Path.Combine(run, "losses.csv")).Skip(1)
        .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void ResumedRunFollowsTheUninterruptedLossCurveAndEndsWithTheSameParameters()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-train").FullName;
        try
        {
            var (options, source, classes) = Setup(iterations: 5);
            string straight = Path.Combine(root, "straight"), resumed = Path.Combine(root, "resumed");
            Assert.Equal(5, new Trainer(options, source, classes, straight).Run());

            using (var cancel = new CancellationTokenSource())
            {
                var first = new Trainer(options, source, classes, resumed);
                first.Progress = p => { if (p.Iteration == 3) cancel.Cancel(); };
                Assert.Equal(3, first.Run(cancel: cancel.Token));
            }
            Assert.False(File.Exists(Path.Combine(resumed, "model.safetensors")));
            Assert.Equal(5, new Trainer(Trainer.ReadOptions(resumed), source, classes, resumed).Run(resume: true));

            double[] a = Losses(straight), b = Losses(resumed);
            Assert.Equal(5, a.Length);
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * Math.Abs(a[i]), $"iteration {i + 1}: {a[i]} vs {b[i]}");
            foreach (var file in new[] { "model.safetensors", "checkpoint.safetensors", "loss_curve.png", "train_options.json" })
                Assert.True(File.Exists(Path.Combine(straight, file)), $"{file} missing");
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(straight, "tensorboard"), "*", SearchOption.AllDirectories));
            var (model, loadedClasses) = ModelFile.Load(Path.Combine(straight, "model.safetensors"));
            using (model) Assert.Equal(classes, loadedClasses);

            // The resumed run ends with the same parameters and batch-norm statistics (the same CPU kernels on the same
            // data in the same order; measured: bit-identical; 1e-5 absolute leaves room for
            // libtorch choosing another summation order on other machines).
            var (straightModel, _) = ModelFile.Load(Path.Combine(straight, "model.safetensors"));
            var (resumedModel, _) = ModelFile.Load(Path.Combine(resumed, "model.safetensors"));
            using (straightModel)
            using (resumedModel)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var expected = straightModel.state_dict();
                var actual = resumedModel.state_dict();
                Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
                foreach (var (name, tensor) in expected)
                {
                    double difference = (tensor.to_type(TorchSharp.torch.ScalarType.Float64) - actual[name].to_type(TorchSharp.torch.ScalarType.Float64)).abs().max().item<double>();
                    Assert.True(difference <= 1e-5, $"{name}: max |Δ| {difference}");
                }
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void DivergingLossStopsWithAClearErrorAndKeepsTheLastCheckpoint()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-diverge").FullName;
        try
        {
            var (options, source, classes) = Setup(iterations: 6);
            // A huge learning rate blows the weights up within a few steps.
            options = options with { LearningRate = 1e12, CheckpointEvery = 1 };
            var trainer = new Trainer(options, source, classes, root);
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
            Assert.Contains("not finite", e.Message);
            Assert.True(File.Exists(trainer.CheckpointPath) || e.Iteration == 1);
            Assert.False(File.Exists(trainer.ModelPath));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void BatchOfOneTrains()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-b1").FullName;
        try
        {
            var (options, source, classes) = Setup(iterations: 2);
            options = options with { BatchSize = 1, Accumulate = 2 };
            Assert.Equal(2, new Trainer(options, source, classes, root).Run());
            Assert.All(Losses(root), l => Assert.True(double.IsFinite(l)));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void CorruptImageStopsTrainingUnlessBadImagesAreSkipped()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-badimage").FullName;
        try
        {
            string data = Path.Combine(root, "data");
            SyntheticShapesDataset.Write(data, images: 4, seed: 2, new SyntheticShapes(size: 64, maxObjects: 2));
            string corrupt = Path.Combine(data, "images", "000003.png");
            File.WriteAllBytes(corrupt, File.ReadAllBytes(corrupt)[..40]);
            var dataset = CocoDataset.Open(Path.Combine(data, "annotations.json"), Path.Combine(data, "images"));
            var (options, _, _) = Setup(iterations: 2);
            var classes = dataset.Classes;
            options = options with { Augment = false };

            var failing = new Trainer(options, dataset, classes, Path.Combine(root, "strict"));
            var e = Assert.Throws<InvalidInputException>(() => failing.Run());
            Assert.Contains("000003.png", e.Message);

            var warnings = new List<string>();
            var skipping = new Trainer(options with { SkipBadImages = true }, dataset, classes, Path.Combine(root, "skipping")) { Warning = warnings.Add };
            Assert.Equal(2, skipping.Run());
            Assert.Contains(warnings, w => w.StartsWith("1 unreadable image"));
            Assert.True(File.Exists(skipping.ModelPath));
        }
        finally { Directory.Delete(root, true); }
    }
}
