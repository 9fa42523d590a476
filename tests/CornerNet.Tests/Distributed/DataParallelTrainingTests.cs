using System.Globalization;
using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Distributed;

/// <summary>
/// Synthetic data, a 63-pixel tiny model and the two uninterrupted 20-iteration runs the tests compare against: one
/// process with --batch-size 4 --accumulate 2, and 2 ranks with --batch-size 8 (1 libtorch thread per process).
/// </summary>
public sealed class DataParallelRuns : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("cornernet-mpi").FullName;
    public string Data => Path.Combine(Root, "data");
    public string Config => Path.Combine(Root, "tiny63.json");
    readonly Lazy<string> _single, _twoRanks;

    public DataParallelRuns()
    {
        // 32 images: a multiple of 8, so 8-image batches and pairs of 4-image batches cover the epochs alike.
        SyntheticShapesDataset.Write(Data, images: 32, seed: 3, new SyntheticShapes(size: 64, maxObjects: 3));
        File.WriteAllText(Config, ModelPresets.Tiny.WithSquareInput(63).ToJson());
        _single = new(() => Train(1, "single", "--batch-size", "4", "--accumulate", "2"));
        _twoRanks = new(() => Train(2, "two-ranks", "--batch-size", "8"));
    }

    /// <summary>The uninterrupted one-process run folder.</summary>
    public string Single => _single.Value;

    /// <summary>The uninterrupted 2-rank run folder.</summary>
    public string TwoRanks => _twoRanks.Value;

    public string[] Common(string output, int iterations = 20) =>
        ["train", "--data", Data, "--config", Config, "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--threads", "1", "--workers", "1", "--out", output];

    /// <summary>Trains into a new folder on <paramref name="ranks"/> processes; returns the folder.</summary>
    public string Train(int ranks, string name, params string[] extra)
    {
        string output = Path.Combine(Root, name);
        var result = ranks == 1 ? MpiProcess.Alone([.. Common(output), .. extra]) : MpiProcess.Job(ranks, [.. Common(output), .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return output;
    }

    public void Dispose() => Directory.Delete(Root, true);
}

public class DataParallelTrainingTests(DataParallelRuns runs) : IClassFixture<DataParallelRuns>
{
    [MpiFact]
    public void TwoRanksEndWithTheParametersOfOneProcessAccumulatingTheSameChunks()
    {
        AssertSameParameters(runs.Single, runs.TwoRanks);
        AssertSameLosses(runs.Single, runs.TwoRanks);
    }

    [MpiFact]
    public void TwoRankRunResumedOnOneProcessMatchesTheUninterruptedRun()
    {
        string run = Path.Combine(runs.Root, "two-then-one");
        var first = MpiProcess.Job(2, [.. runs.Common(run, iterations: 10), "--batch-size", "8"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = MpiProcess.Alone("train", "--resume", run, "--data", runs.Data, "--iterations", "20", "--batch-size", "4", "--accumulate", "2", "--threads", "1", "--workers", "1");
        Assert.True(second.ExitCode == 0, second.ToString());
        AssertSameParameters(runs.Single, run);
        AssertSameLosses(runs.Single, run);
    }

    [MpiFact]
    public void OneProcessRunResumedOnTwoRanksMatchesTheUninterruptedRun()
    {
        string run = Path.Combine(runs.Root, "one-then-two");
        var first = MpiProcess.Alone([.. runs.Common(run, iterations: 10), "--batch-size", "4", "--accumulate", "2"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = MpiProcess.Job(2, "train", "--resume", run, "--data", runs.Data, "--iterations", "20", "--batch-size", "8", "--accumulate", "1", "--threads", "1", "--workers", "1");
        Assert.True(second.ExitCode == 0, second.ToString());
        AssertSameParameters(runs.TwoRanks, run);
        AssertSameLosses(runs.TwoRanks, run);
    }

    [MpiFact]
    public void KillingRankOneEndsTheJobWithinAMinuteNamingTheRankAndKeepsTheCheckpoint()
    {
        string run = Path.Combine(runs.Root, "killed");
        var job = MpiProcess.Start(2, [.. runs.Common(run, iterations: 1000), "--batch-size", "8", "--checkpoint-every", "2"]);
        string checkpoint = Path.Combine(run, "checkpoint.safetensors");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && !job.Process.HasExited && waited.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(200);
        Assert.True(File.Exists(checkpoint), "no checkpoint was written");
        var ranks = job.RankProcesses();
        Assert.True(ranks.ContainsKey(1), $"rank 1 not found among mpirun's children ({string.Join(", ", ranks)})");
        var killedAt = System.Diagnostics.Stopwatch.StartNew();
        System.Diagnostics.Process.GetProcessById(ranks[1]).Kill();
        var result = job.Wait(TimeSpan.FromSeconds(60));
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches(@"process rank 1 .*exited on signal 9", result.Err + result.Out);

        var file = SafeTensorsFile.Read(checkpoint);
        Assert.True(int.Parse(file.Metadata["iteration"], CultureInfo.InvariantCulture) >= 2);
        using var detector = Detector.Load(checkpoint);
    }

    [MpiFact]
    public void BadImageOnOneRankEndsTheJobWithOneLineNamingTheRankAndTheFile()
    {
        string data = Path.Combine(runs.Root, "bad-data");
        SyntheticShapesDataset.Write(data, images: 8, seed: 4, new SyntheticShapes(size: 64, maxObjects: 2));
        var images = Directory.GetFiles(Path.Combine(data, "images")).Order().ToArray();
        // Image positions in the first batch depend on the shuffle; corrupt them all but one so both ranks meet one.
        foreach (var image in images.Skip(1)) File.WriteAllText(image, "not an image");
        var result = MpiProcess.Job(2, "train", "--data", data, "--config", runs.Config, "--iterations", "5", "--threads", "1", "--workers", "1",
            "--batch-size", "8", "--out", Path.Combine(runs.Root, "bad-run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"cornernet: rank [01] of 2: .*\.png: ", result.Err);
    }

    [Fact]
    public void UnderALauncherWithoutUsableMpiTheCommandSaysSoInOneLineAndExits2()
    {
        var result = MpiProcess.Run("dotnet", [MpiProcess.Cli, .. runs.Common(Path.Combine(runs.Root, "no-mpi"), iterations: 1)], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2", ["CORNERNET_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" });
        Assert.Equal(2, result.ExitCode);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("Open MPI", lines[0]);
        Assert.Contains("OMPI_COMM_WORLD_SIZE=2", lines[0]);
    }

    /// <summary>Every trained parameter (BatchNorm running statistics are per rank, so left out) within 1e-5 relative.</summary>
    static void AssertSameParameters(string expectedRun, string actualRun)
    {
        var expected = SafeTensorsFile.Read(Path.Combine(expectedRun, "model.safetensors"));
        var actual = SafeTensorsFile.Read(Path.Combine(actualRun, "model.safetensors"));
        using var scope = NewDisposeScope();
        var a = expected.LoadAll();
        var b = actual.LoadAll();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        int compared = 0;
        foreach (var (name, tensor) in a)
        {
            if (name.Contains("running_", StringComparison.Ordinal) || name.Contains("num_batches", StringComparison.Ordinal)) continue;
            double scale = Math.Max(tensor.abs().max().item<float>(), 1e-12);
            double difference = (tensor - b[name]).abs().max().item<float>();
            Assert.True(difference / scale <= 1e-5, $"{name}: max difference {difference} (scale {scale})");
            compared++;
        }
        Assert.True(compared > 50, $"only {compared} parameters compared");
    }

    static void AssertSameLosses(string expectedRun, string actualRun)
    {
        static double[][] Read(string run) => File.ReadLines(Path.Combine(run, "losses.csv")).Skip(1)
            .Select(l => l.Split(',').Take(6).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        var expected = Read(expectedRun);
        var actual = Read(actualRun);
        Assert.Equal(20, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            for (int k = 0; k < 6; k++)
                Assert.True(Math.Abs(expected[i][k] - actual[i][k]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i][k])), $"losses.csv row {i + 1} column {k}: {expected[i][k]} vs {actual[i][k]}");
    }
}
