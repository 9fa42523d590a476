using System.Diagnostics;
using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: Ctrl-C (SIGINT) and SIGTERM remove the temporary files of every command and exit with 130 and 143;
/// what was complete before stays as it was. Temporaries left by a SIGKILL carry the process id and start time, and
/// the next run that writes into their folder removes those whose process is gone, never those of a live one.
/// </summary>
public sealed class SignalTests : IDisposable
{
    const int SigInt = 2, SigTerm = 15;
    readonly string _root = Directory.CreateTempSubdirectory("cornernet-signals").FullName;
    static readonly string Model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");

    public void Dispose() => Directory.Delete(_root, true);

    string P(params string[] parts) => Path.Combine([_root, .. parts]);

    /// <summary>
    /// Runs the CLI in the background of a bash with job control (so that SIGINT is not ignored, as it is for a
    /// background job without it), waits until the shell condition <paramref name="started"/> holds (files on disk:
    /// the work is under way), sends <paramref name="signal"/> with kill, and returns the exit code and standard
    /// error. (Sent from the test host, with the child's output read through Process, the signal had no effect here,
    /// for a reason not found; from a shell, as a user sends it, it works, and that is what is tested.)
    /// </summary>
    (int Code, string Error) RunAndSignal(int signal, string started, params string[] args)
    {
        string Quote(string a) => "'" + a.Replace("'", "'\\''") + "'";
        string errors = P("stderr.txt");
        string script = "set -m\n" +
            $"dotnet {Quote(SignalableCliFactAttribute.Cli)} {string.Join(' ', args.Select(Quote))} > /dev/null 2> {Quote(errors)} &\n" +
            "pid=$!\n" +
            $"until {started}; do kill -0 $pid 2> /dev/null || {{ echo ended; exit 99; }}; sleep 0.02; done\n" +
            $"kill -{signal} $pid\n" +
            "wait $pid\n" +
            "echo $?\n";
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var shell = Process.Start(start)!;
        var output = Task.Run(shell.StandardOutput.ReadToEnd);
        var shellErrors = Task.Run(shell.StandardError.ReadToEnd);
        Assert.True(shell.WaitForExit(300_000), "the command did not stop on the signal");
        string error = File.Exists(errors) ? File.ReadAllText(errors) : "";
        File.Delete(errors);
        Assert.True(shell.ExitCode == 0, $"the command ended before the signal: {output.Result} {shellErrors.Result} {error}");
        return (int.Parse(output.Result.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture), error);
    }

    static string[] Temporaries(string folder) => Directory.GetFiles(folder, "*.tmp*", SearchOption.AllDirectories);

    static void AssertStoppedInOneLine(int expectedCode, (int Code, string Error) result, string signalName)
    {
        Assert.True(expectedCode == result.Code, $"exit {result.Code}: {result.Error}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(signalName, lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("Exception", result.Error);
    }

    /// <summary>40 images of 256 pixels, and drawings of an earlier run for the first five in drawn/.</summary>
    string[] DetectWithEarlierDrawings()
    {
        SyntheticShapesDataset.Write(P("data"), images: 40, seed: 3, new SyntheticShapes(size: 256, maxObjects: 3));
        Directory.CreateDirectory(P("drawn"));
        for (int i = 1; i <= 5; i++) File.WriteAllText(P("drawn", $"{i:D6}.png"), $"earlier drawing {i}");
        var images = Directory.GetFiles(P("data", "images")).Order(StringComparer.Ordinal);
        return ["detect", Model, .. images, "--out", P("drawn"), "--json", P("drawn", "dets.json"), "--overwrite", "--threads", "1", "--batch-size", "1"];
    }

    [SignalableCliFact]
    public void SigtermDuringDetectExits143AndLeavesNoTemporaryAndEveryEarlierDrawing()
    {
        var args = DetectWithEarlierDrawings();
        var before = CliRunner.Checksums(P("drawn"));
        AssertStoppedInOneLine(143, RunAndSignal(SigTerm, $"[ $(ls '{P("drawn")}' | grep -c tmp-) -ge 2 ]", args), "SIGTERM");
        Assert.Empty(Temporaries(_root));
        // Drawings are renamed into place only when every image is done: a stopped run replaced none.
        Assert.Equal(before, CliRunner.Checksums(P("drawn")));
    }

    [SignalableCliFact]
    public void CtrlCDuringDetectExits130AndLeavesNoTemporaryAndEveryEarlierDrawing()
    {
        var args = DetectWithEarlierDrawings();
        var before = CliRunner.Checksums(P("drawn"));
        AssertStoppedInOneLine(130, RunAndSignal(SigInt, $"[ $(ls '{P("drawn")}' | grep -c tmp-) -ge 2 ]", args), "SIGINT");
        Assert.Empty(Temporaries(_root));
        Assert.Equal(before, CliRunner.Checksums(P("drawn")));
    }

    [SignalableCliFact]
    public void SigtermDuringSynthExits143AndLeavesOnlyCompleteImages()
    {
        var result = RunAndSignal(SigTerm, $"[ $(ls '{P("data", "images")}' 2> /dev/null | wc -l) -ge 20 ]", "synth", "--out", P("data"), "--images", "1500", "--size", "256", "--seed", "1");
        AssertStoppedInOneLine(143, result, "SIGTERM");
        Assert.Empty(Temporaries(_root));
        var written = Directory.GetFiles(P("data", "images"));
        Assert.NotEmpty(written);
        Assert.True(written.Length < 1500, "synth finished before the signal; the test needs more images");
        // Every image that is there is whole: it decodes.
        foreach (string image in written) Assert.Equal(256, ImageDecoder.Decode(image).Width);
    }

    [SignalableCliFact]
    public void SigtermEndsTrainingWithExitCode143AfterSavingACheckpoint()
    {
        SyntheticShapesDataset.Write(P("data"), images: 3, seed: 9, new SyntheticShapes(size: 64, maxObjects: 2));
        var result = RunAndSignal(SigTerm, $"[ $(cat '{P("run", "losses.csv")}' 2> /dev/null | wc -l) -ge 3 ]", "train", "--data", P("data"), "--iterations", "200", "--batch-size", "1", "--workers", "1",
            "--threads", "1", "--out", P("run"));
        Assert.True(result.Code == 143, $"exit {result.Code}: {result.Error}");
        Assert.Contains("writing a checkpoint", result.Error);
        Assert.True(File.Exists(P("run", "checkpoint.safetensors")));
        Assert.Empty(Temporaries(_root));
        Assert.Empty(Directory.GetFiles(_root, ".lock", SearchOption.AllDirectories));
    }

    /// <summary>Field 22 of /proc/PID/stat: the start time that the temporaries' names carry.</summary>
    static long StartTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
    }

    /// <summary>The id of a process that has ended.</summary>
    static int DeadProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    [LinuxFact]
    public void TheNextRunRemovesTemporariesOfEndedProcessesAndKeepsThoseOfLiveOnes()
    {
        SyntheticShapesDataset.Write(P("data"), images: 1, seed: 2, new SyntheticShapes(size: 64, maxObjects: 2));
        Directory.CreateDirectory(P("drawn"));
        int dead = DeadProcessId(), live = Environment.ProcessId;
        long liveStart = StartTime(live);
        string[] stale =
        [
            $"000005.png.tmp-{dead}-{liveStart}-1", // a SIGKILLed run of this version
            $"000006.png.tmp-{dead}", // an earlier version's detect
            $"000007.png.tmp-{dead}-12", // an earlier version's AtomicFile (PID-THREAD)
            $"000008.png.tmp-{live}-{liveStart + 1}-3", // this id, but another process's start time: the id was reused
        ];
        string[] kept =
        [
            $"000002.png.tmp-{live}-{liveStart}-7", // a live process (this test) is writing it
            $"000003.png.tmp-{live}", // an earlier version's name of a live process
            $"notes.tmp-{dead}", // a user's file: not a name this tool writes
            $"000004.png.tmp-{dead}-x", // nor this
        ];
        foreach (string name in stale.Concat(kept)) File.WriteAllText(P("drawn", name), "partial");
        var (code, _, error) = CliRunner.Run("detect", Model, P("data", "images", "000001.png"), "--out", P("drawn"));
        Assert.True(code == 0, error);
        var left = Directory.GetFiles(P("drawn")).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(kept.Append("000001.png").Order(StringComparer.Ordinal).ToArray(), left);
    }
}

/// <summary>A test of Linux behaviour (/proc, statx): skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <summary>Sets Skip off Linux.</summary>
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only: the start time of a process is read from /proc";
    }
}
