using System.Globalization;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Layers;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Tests.Cli;
using CornerNet.Training;
using CornerNet.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

/// <summary>bf16 mixed-precision training (<c>train --precision bf16</c>): bfloat16 convolutions, float32 everything else.</summary>
public class MixedPrecisionTests(ITestOutputHelper output)
{
    static readonly CornerNetConfig Micro = new()
    {
        Stem = new[] { 8, 16 }, Stacks = 2, Levels = 2, Dims = new[] { 16, 16, 32 }, Modules = new[] { 1, 1, 1 },
        CnvDim = 16, PoolDim = 8, Classes = SyntheticShapes.ClassNames.Count, InputSize = new[] { 63, 63 }, OutputSize = new[] { 16, 16 },
    };

    static readonly CornerNetConfig MicroSqueeze = ModelPresets.Squeeze with
    {
        Stem = [8, 16], Stacks = 2, Levels = 2, Dims = [16, 16, 32], Modules = [1, 1, 1], CnvDim = 16, PoolDim = 8,
        Classes = SyntheticShapes.ClassNames.Count, InputSize = [127, 127], OutputSize = [16, 16],
    };

    static CornerNetConfig Family(string family) => family == CornerNetConfig.SqueezeFamily.Name ? MicroSqueeze : Micro;

    static ClassInfo[] Classes => SyntheticShapes.ClassNames.Select((n, i) => new ClassInfo(i + 1, n)).ToArray();

    static double[] Losses(string run) => File.ReadLines(Path.Combine(run, "losses.csv")).Skip(1)
        .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();

    /// <summary>One training step's loss of <paramref name="model"/> on a fixed random batch, backward done.</summary>
    static double ForwardBackward(CornerNetModel model, bool bfloat16)
    {
        var config = model.Config;
        int size = config.InputSize[0], map = config.OutputSize[0];
        var options = new TargetOptions(config.Classes, size, size, map, map);
        double scale = size / 63.0;
        var boxes = new List<Box> { new((float)(5 * scale), (float)(8 * scale), (float)(40 * scale), (float)(50 * scale)),
            new((float)(20 * scale), (float)(10 * scale), (float)(60 * scale), (float)(30 * scale)) };
        int[] classes = [0, 2];
        using var scope = NewDisposeScope();
        var targets = CornerTargetBatch.Stack([CornerTargets.Build(boxes, classes, options), CornerTargets.Build(boxes.Take(1).ToList(), classes[..1], options)]);
        manual_seed(11);
        var input = randn(2, 3, size, size);
        IReadOnlyList<HeadOutputs> stacks;
        using (bfloat16 ? MixedPrecision.Enter() : null) stacks = model.forward(input);
        var loss = CornerNetLoss.Compute(stacks, targets).Total;
        loss.backward();
        return loss.item<float>();
    }

    // Measured (40 iterations, micro hourglass, seed 5): bf16's loss differs from fp32's by 0.15 % at the first
    // iteration and by at most 4.6 % at any iteration; the means of the last 10 iterations differ by 0.3 %. The band:
    // 10 % per iteration, 3 % for the last-10 mean. Checked by hand: with the bfloat16 weight detached (no gradient to
    // the backbone's convolutions) iteration 36 is 13 % off and the test fails.
    [Fact]
    public void Bf16LossCurveTracksFp32Within10PercentPerIterationAnd3PercentOverTheLast10()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-bf16").FullName;
        try
        {
            var source = new SyntheticShapesSource(new SyntheticShapes(size: 64, maxObjects: 3), count: 16, seed: 3);
            var options = new TrainOptions { Model = Micro, BatchSize = 2, Iterations = 40, LearningRate = 1e-3, Seed = 5, CheckpointEvery = 40, Workers = 2 };
            string fp32 = Path.Combine(root, "fp32"), bf16 = Path.Combine(root, "bf16");
            Assert.Equal(40, new Trainer(options, source, Classes, fp32).Run());
            Assert.Equal(40, new Trainer(options with { Precision = Precision.Bf16 }, source, Classes, bf16).Run());
            double[] a = Losses(fp32), b = Losses(bf16);
            for (int i = 0; i < a.Length; i++) output.WriteLine($"{i + 1}: fp32 {a[i]:F4} bf16 {b[i]:F4} rel {(b[i] - a[i]) / a[i]:+0.0000;-0.0000}");
            Assert.Equal(40, b.Length);
            // bfloat16 really ran: the first loss (same weights, same batch) already differs by rounding.
            Assert.NotEqual(a[0], b[0]);
            Assert.True(Math.Abs(b[0] - a[0]) <= 0.01 * a[0], $"first loss: fp32 {a[0]}, bf16 {b[0]}");
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(b[i] - a[i]) <= 0.10 * a[i], $"iteration {i + 1}: fp32 {a[i]}, bf16 {b[i]}");
            double lastA = a[^10..].Average(), lastB = b[^10..].Average();
            Assert.True(Math.Abs(lastB - lastA) <= 0.03 * lastA, $"mean of the last 10: fp32 {lastA}, bf16 {lastB}");
            // Both learned (fp32: last-10 mean 0.83 of the first loss), so tracking fp32 is not tracking a flat line.
            Assert.True(lastB < 0.9 * b[0], $"bf16 did not learn: first {b[0]}, last 10 {lastB}");
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("hourglass")]
    [InlineData("squeeze")]
    public void MasterWeightsAdamStateAndBatchNormStatisticsStayFloat32(string family)
    {
        manual_seed(2);
        using var model = new CornerNetModel(Family(family));
        model.train();
        using var optimizer = new AdamOptimizer(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), 1e-3);
        for (int step = 0; step < 2; step++)
        {
            optimizer.ZeroGrad();
            ForwardBackward(model, bfloat16: true);
            optimizer.Step();
        }
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.True(parameter.dtype == ScalarType.Float32, $"{name}: {parameter.dtype}");
            Assert.True(parameter.grad!.dtype == ScalarType.Float32, $"{name} gradient: {parameter.grad.dtype}");
        }
        foreach (var (name, buffer) in model.named_buffers().Where(b => !b.name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.True(buffer.dtype == ScalarType.Float32, $"{name}: {buffer.dtype}");
        var state = optimizer.StateTensors().ToList();
        Assert.Equal(2 * model.parameters().Count(), state.Count);
        foreach (var (name, tensor) in state) Assert.True(tensor.dtype == ScalarType.Float32, $"{name}: {tensor.dtype}");
    }

    [Theory]
    [InlineData("hourglass")]
    [InlineData("squeeze")]
    public void GradientsReachEveryParameterAndPointWhereFp32sDo(string family)
    {
        manual_seed(2);
        using var model = new CornerNetModel(Family(family));
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        ForwardBackward(model, bfloat16: false);
        var fp32 = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        // The same weights (and BatchNorm statistics) again, in bf16.
        model.load_state_dict(before);
        foreach (var p in model.parameters()) p.grad = null;
        ForwardBackward(model, bfloat16: true);
        var cosines = new List<double>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var grad = parameter.grad;
            Assert.True(grad is not null, $"{name}: no gradient");
            Assert.True(grad.isfinite().all().item<bool>(), $"{name}: gradient not finite");
            Assert.True(grad.abs().sum().item<float>() > 0, $"{name}: gradient is zero");
            double cosine = nn.functional.cosine_similarity(grad.flatten().unsqueeze(0), fp32[name].flatten().unsqueeze(0)).item<float>();
            cosines.Add(cosine);
            output.WriteLine($"{name}: cosine {cosine:F4}");
        }
        using var all16 = cat(model.parameters().Select(p => p.grad!.flatten()).ToArray());
        using var all32 = cat(model.named_parameters().Select(p => fp32[p.name].flatten()).ToArray());
        double whole = nn.functional.cosine_similarity(all16.unsqueeze(0), all32.unsqueeze(0)).item<float>();
        cosines.Sort();
        output.WriteLine($"whole gradient cosine {whole:F4}; per parameter: min {cosines[0]:F4}, median {cosines[cosines.Count / 2]:F4}");
        // Measured at this initialisation: whole-gradient cosine 0.81 (hourglass) and 0.94 (squeeze), per parameter
        // ≥ 0.42; layers near the heads agree to 0.99+, deeper layers less (bfloat16 rounding through BatchNorm backward's mean
        // subtraction). A lost or wrong gradient path lands near 0 or below.
        Assert.True(whole >= 0.7, $"whole gradient: bf16's cosine with fp32's is {whole}");
        Assert.True(cosines[0] >= 0.2, $"a parameter's bf16 gradient has cosine {cosines[0]} with fp32's");
        foreach (var t in before.Values.Concat(fp32.Values)) t.Dispose();
    }

    [Fact]
    public void CheckpointOfABf16RunIsFloat32AndRecordsItsPrecision()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-bf16-checkpoint").FullName;
        try
        {
            var source = new SyntheticShapesSource(new SyntheticShapes(size: 64, maxObjects: 3), count: 4, seed: 3);
            var options = new TrainOptions { Model = Micro, BatchSize = 2, Iterations = 2, Seed = 5, Workers = 1, Precision = Precision.Bf16 };
            var trainer = new Trainer(options, source, Classes, root);
            Assert.Equal(2, trainer.Run());
            var file = SafeTensorsFile.Read(trainer.CheckpointPath);
            Assert.Equal("bf16", file.Metadata["precision"]);
            Assert.Contains(file.Tensors, t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal));
            foreach (var tensor in file.Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
                Assert.True(tensor.DType == ScalarType.Float32, $"{tensor.Name}: {tensor.DType}");
            Assert.Equal(Precision.Bf16, Trainer.ReadOptions(root).Precision);
            // Resuming it in another precision is refused, naming the checkpoint.
            var fp32 = new Trainer(options with { Precision = Precision.Fp32, Iterations = 3 }, source, Classes, root);
            var error = Assert.Throws<InvalidInputException>(() => fp32.Run(resume: true));
            Assert.Contains(trainer.CheckpointPath, error.Message);
            Assert.Contains("bf16", error.Message);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void ResumeKeepsTheRunsPrecisionAndAnotherPrecisionExits2()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-bf16-cli").FullName;
        try
        {
            string data = Path.Combine(root, "data"), run = Path.Combine(root, "run");
            SyntheticShapesDataset.Write(data, images: 2, seed: 9, new SyntheticShapes(size: 64, maxObjects: 2));
            var (code, _, error) = CliRunner.Run("train", "--data", data, "--iterations", "1", "--batch-size", "2", "--workers", "1", "--precision", "bf16", "--out", run);
            Assert.True(code == 0, error);
            (code, var written, error) = CliRunner.Run("train", "--data", data, "--resume", run, "--iterations", "2", "--workers", "1");
            Assert.True(code == 0, error);
            Assert.Contains("done", written);
            Assert.Equal(Precision.Bf16, Trainer.ReadOptions(run).Precision);
            Assert.Equal("bf16", SafeTensorsFile.Read(Path.Combine(run, "checkpoint.safetensors")).Metadata["precision"]);
            (code, _, error) = CliRunner.Run("train", "--data", data, "--resume", run, "--iterations", "3", "--precision", "fp32");
            CliRunner.AssertOneLineError(code, error, run);
            Assert.Contains("--precision fp32 (the run has bf16)", error);
            // Giving the run's own precision again is no conflict.
            (code, _, error) = CliRunner.Run("train", "--data", data, "--resume", run, "--iterations", "3", "--workers", "1", "--precision", "bf16");
            Assert.True(code == 0, error);
            (code, _, error) = CliRunner.Run("train", "--data", data, "--iterations", "1", "--precision", "auto", "--out", Path.Combine(root, "auto"));
            Assert.Equal(2, code);
            Assert.Contains("auto", error);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void TrainSuiteRecordsTheBf16StepBesideTheFp32Step()
    {
        var options = new CornerNet.Benchmarks.BenchmarkOptions
        {
            PresetName = "tiny", Config = ModelPresets.Tiny, Size = 63, Batch = 1, Runs = 1, Warmup = 0, Suite = CornerNet.Benchmarks.BenchmarkSuite.Train,
        };
        var names = new CornerNet.Benchmarks.BenchmarkRunner(options).Run().Records.Select(r => r.Name).ToList();
        Assert.Equal(["train_step_tiny_63_b1", "train_step_tiny_63_b1_bf16"], names);
    }

    [Fact]
    public void TrainOptionsRefuseAutoPrecision() =>
        Assert.Throws<InvalidInputException>(() => new TrainOptions { Model = Micro, Precision = Precision.Auto }.Validate());
}
