// Quick-start recipe search (issue 8): train a small CornerNet on the synthetic shapes for a wall-clock budget, then
// run the test pipeline on a held-out synthetic split and print COCO AP. One run per invocation; options as --key value.
//
//   dotnet run -c Release --project experiments/QuickRecipe -- --name r1 --size 127 --train 2000 --minutes 10
//
// Appends one line per run to experiments/runs.tsv (relative to the working directory) and keeps the run folder.
using System.Diagnostics;
using System.Globalization;
using CornerNet;
using CornerNet.Data;
using CornerNet.Evaluation;
using CornerNet.Experiments;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Training;

LargeAllocationReuse.Apply();
var args2 = RunArguments.Parse(args);
string name = args2.Text("name", "run");
int size = args2.Int("size", 127);
int maxObjects = args2.Int("max-objects", 6);
int trainCount = args2.Int("train", 2000);
int valCount = args2.Int("val", 200);
int trainSeed = args2.Int("train-seed", 1);
int valSeed = args2.Int("val-seed", 2);
double minutes = args2.Double("minutes", 10);
double cpuMinutes = args2.Double("cpu-minutes", 1e9);
string preset = args2.Text("preset", "tiny");
string outRoot = args2.Text("out", "experiments/runs");

var baseConfig = ModelPresets.Get(preset);
int input = args2.Int("input", baseConfig.InputSize[0]);
var model = baseConfig.WithSquareInput(input) with
{
    Classes = SyntheticShapes.ClassNames.Count,
    Stacks = args2.Int("stacks", baseConfig.Stacks),
    CnvDim = args2.Int("cnv-dim", baseConfig.CnvDim),
    PoolDim = args2.Int("pool-dim", baseConfig.PoolDim),
    Dims = args2.Ints("dims", baseConfig.Dims),
    Modules = args2.Ints("modules", baseConfig.Modules),
    Stem = args2.Ints("stem", baseConfig.Stem),
    Levels = args2.Ints("dims", baseConfig.Dims).Length - 1,
};
var options = new TrainOptions
{
    Model = model,
    BatchSize = args2.Int("batch", 8),
    Workers = args2.Int("workers", 0),
    Iterations = args2.Int("iterations", 100000),
    LearningRate = args2.Double("lr", 1e-3),
    LearningRateSteps = args2.Ints("lr-steps", []),
    LearningRateFactor = args2.Double("lr-factor", 0.1),
    Seed = args2.Int("seed", 0),
    CheckpointEvery = 100000,
    RadiusRule = args2.Text("radius", "official"),
    Augment = args2.Int("augment", 0) != 0,
};
double? dropAt = args2.Text("drop-at", "") is { Length: > 0 } dropText ? double.Parse(dropText, CultureInfo.InvariantCulture) : null;
string evaluateOnly = args2.Text("evaluate-checkpoint", "");
// Continue the run folder of the same --name from its checkpoint (e.g. with a learning-rate step at that iteration).
bool resumeRun = args2.Int("resume", 0) != 0;
bool flipTest = args2.Int("flip-test", 1) != 0;
// One libtorch thread on a shared machine: with more runnable threads than cores, OpenMP barriers spin on descheduled
// peers and the process burns CPU time without progress, so CPU time stops measuring work.
TorchRuntime.SetThreads(args2.Int("threads", 0));
args2.RejectUnused();

Console.WriteLine($"load: {File.ReadAllText("/proc/loadavg").Trim()}  threads: {TorchRuntime.Threads}  cores: {Environment.ProcessorCount}");
Console.WriteLine(options.ToJson());

var generator = new SyntheticShapes(size, maxObjects);
var clock = Stopwatch.StartNew();
var train = CachedSource.Generate(generator, trainCount, trainSeed);
var validation = CachedSource.Generate(generator, valCount, valSeed);
double generateSeconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"generated {trainCount} + {valCount} images of {size} px in {generateSeconds:F1} s");

var classes = SyntheticShapes.ClassNames.Select((n, k) => new ClassInfo(k + 1, n)).ToArray();
string runDirectory = Path.Combine(outRoot, name);
if (evaluateOnly.Length == 0 && !resumeRun && Directory.Exists(runDirectory)) Directory.Delete(runDirectory, recursive: true);
var trainer = new Trainer(options, train, classes, runDirectory);
double lastLoss = double.NaN;
trainer.Progress = p =>
{
    lastLoss = p.Loss;
    if (p.Iteration % 50 == 0)
        Console.WriteLine($"it {p.Iteration} loss {p.Loss:F3} (focal {p.Focal:F3} pull {p.Pull:F3} push {p.Push:F3} off {p.Offset:F3}) lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s {p.Elapsed:mm\\:ss}");
};
clock.Restart();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
int done = 0;
if (evaluateOnly.Length > 0)
{
    Console.WriteLine($"evaluating {evaluateOnly} without training");
}
else if (dropAt is double fraction)
{
    // A wall-clock schedule: train at the base rate for the first part of the budget, then resume the same run with
    // the rate divided by 10 from the iteration reached (the machine is shared, so iteration counts are unpredictable).
    using (var first = new CpuBudget(TimeSpan.FromMinutes(cpuMinutes * fraction), TimeSpan.FromMinutes(minutes * fraction)))
        done = ResumingRun.Run(trainer, false, first.Token);
    Console.WriteLine($"learning rate drop after iteration {done}");
    var decayed = options with { LearningRateSteps = [done] };
    trainer = new Trainer(decayed, train, classes, runDirectory) { Progress = trainer.Progress };
    using var rest = new CpuBudget(TimeSpan.FromMinutes(cpuMinutes * (1 - fraction)), TimeSpan.FromMinutes(minutes) - clock.Elapsed);
    done = ResumingRun.Run(trainer, true, rest.Token);
}
else
{
    using var cancel = new CpuBudget(TimeSpan.FromMinutes(cpuMinutes), TimeSpan.FromMinutes(minutes));
    done = ResumingRun.Run(trainer, resumeRun, cancel.Token);
}
double trainSeconds = clock.Elapsed.TotalSeconds;
// CPU time of the process: on a shared machine wall time says little; CPU seconds / cores estimates a quiet machine.
double trainCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
Console.WriteLine($"trained {done} iterations in {trainSeconds / 60:F2} min (CPU {trainCpuSeconds / 60:F2} min), last loss {lastLoss:F3}, load {File.ReadAllText("/proc/loadavg").Trim()}");

clock.Restart();
var (network, _) = ModelFile.Load(evaluateOnly.Length > 0 ? evaluateOnly : done == options.Iterations ? trainer.ModelPath : trainer.CheckpointPath);
using (var detector = new Detector(network, classes, new DetectionOptions { Flip = flipTest }))
{
    var images = new List<CocoImage>();
    var annotations = new List<CocoAnnotation>();
    for (int i = 0; i < validation.Count; i++)
    {
        var sample = validation.Sample(i);
        images.Add(new CocoImage(i + 1, $"{i + 1:D6}.png", size, size));
        foreach (var o in sample.Objects)
            annotations.Add(new CocoAnnotation(annotations.Count + 1, i + 1, o.ClassIndex + 1,
                new CocoBox(o.Box.X1, o.Box.Y1, o.Box.Width, o.Box.Height), o.VisiblePixels, IsCrowd: false));
    }
    var detections = DatasetDetection.ToCoco(DatasetDetection.Run(detector, Enumerable.Range(0, validation.Count).ToArray(), i => i + 1, i => validation.Sample(i).Image));
    var groundTruth = new CocoAnnotationFile("synthetic-validation", images, annotations,
        classes.Select(c => new CocoCategory(c.Id, c.Name, "shape")).ToArray());
    var metrics = CocoEvaluator.Evaluate(groundTruth, detections);
    double evalSeconds = clock.Elapsed.TotalSeconds;
    foreach (string line in metrics.SummaryLines()) Console.WriteLine(line);
    Console.WriteLine(string.Join("  ", metrics.PerClassAP.Select(kv => $"{classes[kv.Key - 1].Name} {kv.Value:F3}")));
    Console.WriteLine($"evaluated {valCount} images in {evalSeconds:F1} s");

    string row = string.Join('\t', name, DateTime.UtcNow.ToString("HH:mm", CultureInfo.InvariantCulture),
        File.ReadAllText("/proc/loadavg").Split(' ')[0], preset, input, size, trainCount, options.BatchSize,
        options.LearningRate.ToString("G3", CultureInfo.InvariantCulture), dropAt is double f ? $"t{f}" : string.Join(',', options.LearningRateSteps),
        options.Augment ? 1 : 0, done, (trainSeconds / 60).ToString("F2", CultureInfo.InvariantCulture), (trainCpuSeconds / 60).ToString("F2", CultureInfo.InvariantCulture),
        generateSeconds.ToString("F0", CultureInfo.InvariantCulture), evalSeconds.ToString("F0", CultureInfo.InvariantCulture),
        network.ParameterCount(), lastLoss.ToString("F3", CultureInfo.InvariantCulture),
        metrics.AP.ToString("F3", CultureInfo.InvariantCulture), metrics.AP50.ToString("F3", CultureInfo.InvariantCulture));
    File.AppendAllText(Path.Combine(outRoot, "..", "runs.tsv"), row + Environment.NewLine);
    Console.WriteLine(row);
}
