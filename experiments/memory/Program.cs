// The training issue's memory check: the resident set of 500 training steps of the tiny preset (63×63 input, batch 2,
// synthetic shapes), printed every 50 steps after a full garbage collection. Not part of the solution (it takes minutes);
// run with: dotnet run -c Release --project experiments/memory [iterations]
using System.Diagnostics;
using CornerNet;
using CornerNet.Data;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Training;

LargeAllocationReuse.Apply();
int iterations = args.Length > 0 ? int.Parse(args[0]) : 500;
string run = Directory.CreateTempSubdirectory("cornernet-memory").FullName;
try
{
    var options = new TrainOptions
    {
        Model = ModelPresets.Tiny with { Classes = SyntheticShapes.ClassNames.Count, InputSize = [63, 63], OutputSize = [16, 16] },
        BatchSize = 2, Iterations = iterations, LearningRate = 1e-3, Seed = 3, CheckpointEvery = 100, Workers = 2,
    };
    var source = new SyntheticShapesSource(new SyntheticShapes(size: 64, maxObjects: 3), count: 64, seed: 4);
    var classes = SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray();
    var clock = Stopwatch.StartNew();
    var trainer = new Trainer(options, source, classes, run)
    {
        Progress = p =>
        {
            if (p.Iteration % 50 != 0) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long resident = Process.GetCurrentProcess().WorkingSet64;
            Console.WriteLine($"iteration {p.Iteration,4}: RSS {resident / (1024.0 * 1024.0):F1} MiB, loss {p.Loss:F4}, {clock.Elapsed.TotalSeconds:F0} s");
        },
    };
    trainer.Run();
}
finally
{
    Directory.Delete(run, true);
}
