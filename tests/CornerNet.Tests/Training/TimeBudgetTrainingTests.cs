using System.Globalization;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Training;
using Microsoft.Extensions.Time.Testing;

namespace CornerNet.Tests.Training;

public class TimeBudgetTrainingTests
{
    static readonly CornerNetConfig Micro = new()
    {
        Stem = new[] { 8, 16 }, Stacks = 1, Levels = 2, Dims = new[] { 16, 16, 32 }, Modules = new[] { 1, 1, 1 },
        CnvDim = 16, PoolDim = 8, Classes = SyntheticShapes.ClassNames.Count, InputSize = new[] { 63, 63 }, OutputSize = new[] { 16, 16 },
    };

    static readonly ClassInfo[] Classes = SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray();

    [Fact]
    public void DropsTheLearningRateForTheLastPartOfTheBudgetAndFinishesTheRun()
    {
        string run = Directory.CreateTempSubdirectory("cornernet-budget").FullName;
        try
        {
            var source = PreloadedSource.From(new SyntheticShapesSource(new SyntheticShapes(size: 63, maxObjects: 3), count: 16, seed: 3));
            var options = new TrainOptions { Model = Micro, BatchSize = 2, Iterations = 1_000_000, LearningRate = 1e-3, Seed = 1, CheckpointEvery = 1_000_000, Workers = 1, Augment = false };
            // Every iteration takes one second of a fake clock: 10 s at drop fraction 0.6 = 6 iterations, then 4 at a tenth.
            var clock = new FakeTimeProvider();
            var training = new TimeBudgetTraining(options, o => new Trainer(o, source, Classes, run) { Progress = _ => clock.Advance(TimeSpan.FromSeconds(1)) }, clock);

            var (iterations, dropAfter) = training.Run(TimeSpan.FromSeconds(10), dropFraction: 0.6);

            Assert.Equal(6, dropAfter);
            Assert.Equal(10, iterations);
            var rates = File.ReadLines(Path.Combine(run, "losses.csv")).Skip(1)
                .Select(l => l.Split(',')).Select(f => (It: int.Parse(f[0], CultureInfo.InvariantCulture), Lr: double.Parse(f[6], CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(Enumerable.Range(1, iterations), rates.Select(r => r.It));
            Assert.All(rates, r => Assert.Equal(r.It <= dropAfter ? 1e-3 : 1e-4, r.Lr, 1e-12));
            Assert.True(File.Exists(Path.Combine(run, "model.safetensors")), "the run was not finished with a model file");
            Assert.Equal(iterations, Trainer.ReadOptions(run).Iterations);
        }
        finally { Directory.Delete(run, true); }
    }

    [Fact]
    public void RefusesOptionsThatAlreadyHaveLearningRateSteps()
    {
        var options = new TrainOptions { Model = Micro, LearningRateSteps = [10] };
        Assert.Throws<ArgumentException>(() => new TimeBudgetTraining(options, o => throw new InvalidOperationException()));
    }
}
