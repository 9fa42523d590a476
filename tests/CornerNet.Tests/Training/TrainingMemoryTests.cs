using System.Diagnostics;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Training;

namespace CornerNet.Tests.Training;

public class TrainingMemoryTests
{
    /// <summary>
    /// The CI-sized form of the "memory flat over 500 iterations" check (experiments/memory runs the full 500):
    /// after 20 warm-up steps of the tiny preset the resident set may not grow by 5% or more by step 60.
    /// </summary>
    [Fact]
    public void SixtyTinyTrainingStepsKeepResidentMemoryFlat()
    {
        string run = Directory.CreateTempSubdirectory("cornernet-memory").FullName;
        try
        {
            var options = new TrainOptions
            {
                Model = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count, InputSize = [63, 63], OutputSize = [16, 16] },
                BatchSize = 2, Iterations = 60, LearningRate = 1e-3, Seed = 3, CheckpointEvery = 1000, Workers = 2,
            };
            var source = new SyntheticShapesSource(new SyntheticShapes(size: 64, maxObjects: 3), count: 16, seed: 4);
            var classes = SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray();
            var resident = new Dictionary<int, long>();
            var trainer = new Trainer(options, source, classes, run)
            {
                Progress = p =>
                {
                    if (p.Iteration is not (20 or 60)) return;
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    resident[p.Iteration] = Process.GetCurrentProcess().WorkingSet64;
                },
            };
            Assert.Equal(60, trainer.Run());
            long before = resident[20], after = resident[60];
            double growth = (after - before) / (double)before;
            Assert.True(growth < 0.05, $"resident set grew {growth:P1} ({before >> 20} MB → {after >> 20} MB) from step 20 to 60");
        }
        finally { Directory.Delete(run, true); }
    }
}
