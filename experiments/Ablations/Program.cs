// Miniature reproduction of the paper's ablations (issue 8): Table 1 (corner pooling), Table 2 (penalty reduction)
// and Table 3 (error analysis with ground-truth heatmaps and offsets), on the synthetic shapes with the tiny preset.
// Every arm × seed trains for the same number of iterations; results are cached per run folder, so a second
// invocation (e.g. with other seeds in a parallel process, or --phase report) reuses what is done.
//
//   dotnet run -c Release --project experiments/Ablations -- --table all --iterations 700 --seeds 0,1 --out DIR
//
// Phases: train (missing models), evaluate (missing variants), report (results.tsv, results.json, tables.md); "all" runs
// the three in order.
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
var arguments = RunArguments.Parse(args);
string tableText = arguments.Text("table", "all");
int[] tables = tableText == "all" ? [1, 2, 3] : [int.Parse(tableText, CultureInfo.InvariantCulture)];
int iterations = arguments.Int("iterations", 700);
int[] seeds = arguments.Ints("seeds", [0, 1]);
string outRoot = arguments.Text("out", "experiments/ablation-runs");
string phase = arguments.Text("phase", "all");
double dropAt = arguments.Double("drop-at", 0.85);
int size = arguments.Int("size", 127);
int maxObjects = arguments.Int("max-objects", 6);
int trainCount = arguments.Int("train", 4000);
int valCount = arguments.Int("val", 200);
int trainSeed = arguments.Int("train-seed", 1);
int valSeed = arguments.Int("val-seed", 2);
int batchSize = arguments.Int("batch", 8);
double learningRate = arguments.Double("lr", 1.5e-3);
string onlyArms = arguments.Text("arms", "");
// One libtorch thread per process: on the shared 2-core machine more threads than cores make OpenMP spin.
TorchRuntime.SetThreads(arguments.Int("threads", 1));
arguments.RejectUnused();
if (phase is not ("train" or "evaluate" or "report" or "all")) throw new ArgumentException($"unknown phase '{phase}' (train, evaluate, report, all)");

var arms = tables.SelectMany(Arm.ForTable).Distinct()
    .Where(a => onlyArms.Length == 0 || onlyArms.Split(',').Contains(a.Name)).ToList();
var classes = SyntheticShapes.ClassNames.Select((n, k) => new ClassInfo(k + 1, n)).ToArray();
var generator = new SyntheticShapes(size, maxObjects);
var model = (ModelPresets.Tiny with { Classes = classes.Length }).WithSquareInput(size);
var baseOptions = new TrainOptions
{
    Model = model,
    BatchSize = batchSize,
    Workers = 1,
    Iterations = iterations,
    LearningRate = learningRate,
    LearningRateSteps = [(int)Math.Round(iterations * dropAt)],
    CheckpointEvery = 100,
    Augment = false,
};
Directory.CreateDirectory(outRoot);
string Folder(Arm arm, int seed) => Path.Combine(outRoot, $"{arm.Name}-s{seed}");
string ResultPath(Arm arm, int seed) => Path.Combine(Folder(arm, seed), "result.json");
string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

if (phase is "train" or "all")
{
    var clock = Stopwatch.StartNew();
    var train = CachedSource.Generate(generator, trainCount, trainSeed);
    Console.WriteLine($"generated {trainCount} training images of {size} px (seed {trainSeed}) in {clock.Elapsed.TotalSeconds:F1} s");
    foreach (var arm in arms)
        foreach (int seed in seeds)
        {
            var options = arm.Apply(baseOptions) with { Seed = seed };
            var trainer = new Trainer(options, train, classes, Folder(arm, seed));
            if (File.Exists(trainer.ModelPath) && RunResult.Read(ResultPath(arm, seed)) is { } done && done.Iterations == iterations)
            {
                Console.WriteLine($"{arm.Name} seed {seed}: trained already");
                continue;
            }
            bool resume = File.Exists(trainer.CheckpointPath);
            var result = new RunResult { Arm = arm.Name, Seed = seed, LoadStart = Load(), StartedUtc = DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture) };
            Console.WriteLine($"{arm.Name} seed {seed}: training {iterations} iterations{(resume ? " (resuming)" : "")}, load {result.LoadStart}");
            double lastLoss = double.NaN;
            trainer.Progress = p =>
            {
                lastLoss = p.Loss;
                if (p.Iteration % 50 == 0)
                    Console.WriteLine($"  {arm.Name} s{seed} it {p.Iteration} loss {p.Loss:F3} (focal {p.Focal:F3} pull {p.Pull:F3} push {p.Push:F3} off {p.Offset:F3}) lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s");
            };
            clock.Restart();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            result.Iterations = ResumingRun.Run(trainer, resume, CancellationToken.None);
            result.TrainWallSeconds = clock.Elapsed.TotalSeconds;
            result.TrainCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            result.LoadEnd = Load();
            result.FinalLoss = lastLoss;
            var (trained, _) = ModelFile.Load(trainer.ModelPath);
            using (trained) result.Parameters = trained.ParameterCount();
            result.Write(ResultPath(arm, seed));
            Console.WriteLine($"{arm.Name} seed {seed}: {result.Iterations} iterations in {result.TrainWallSeconds / 60:F1} min (CPU {result.TrainCpuSeconds / 60:F1} min), load {result.LoadStart} → {result.LoadEnd}");
        }
}

if (phase is "evaluate" or "all")
{
    var validation = CachedSource.Generate(generator, valCount, valSeed);
    var groundTruth = Validation.Annotations(validation, classes, size);
    foreach (var arm in arms)
        foreach (int seed in seeds)
        {
            var result = RunResult.Read(ResultPath(arm, seed));
            string modelPath = Path.Combine(Folder(arm, seed), "model.safetensors");
            if (result is null || !File.Exists(modelPath))
            {
                Console.WriteLine($"{arm.Name} seed {seed}: not trained, skipped");
                continue;
            }
            var variants = new List<EvaluationVariant> { EvaluationVariant.Standard };
            if (arm == Arm.Baseline && tables.Contains(3)) variants.AddRange(EvaluationVariant.ErrorAnalysis);
            var (network, _) = ModelFile.Load(modelPath);
            using (network)
            {
                network.eval();
                foreach (var variant in variants.Where(v => !result.Stats.ContainsKey(v.Name)))
                {
                    var clock = Stopwatch.StartNew();
                    var metrics = CocoEvaluator.Evaluate(groundTruth, Validation.Detect(network, validation, variant, classes));
                    result.Stats[variant.Name] = metrics.Stats.ToArray();
                    result.EvalWallSeconds[variant.Name] = Math.Round(clock.Elapsed.TotalSeconds, 1);
                    result.Write(ResultPath(arm, seed));
                    Console.WriteLine($"{arm.Name} seed {seed} {variant.Name}: AP {metrics.AP:F3} AP50 {metrics.AP50:F3} AP75 {metrics.AP75:F3} ({clock.Elapsed.TotalSeconds:F0} s)");
                }
            }
        }
}

if (phase is "report" or "all")
{
    var results = arms.SelectMany(a => seeds.Select(s => RunResult.Read(ResultPath(a, s)))).OfType<RunResult>().ToList();
    var report = new AblationReport(results, iterations, valCount);
    report.Write(outRoot, tables);
    Console.WriteLine(File.ReadAllText(Path.Combine(outRoot, "tables.md")));
}
