using System.Diagnostics;
using System.Text.Json;
using CornerNet.Data;

namespace CornerNet.Tests.Cli;

/// <summary><c>cornernet detect MODEL VIDEO</c> on a short clip made with ffmpeg from the committed synthetic samples.</summary>
public class VideoDetectionTests
{
    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    static string Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {errors.Result}");
        return text.Trim();
    }

    /// <summary>A 7-frame 5 fps clip of the samples, 128×128 (H.264 wants even sides).</summary>
    static string MakeClip(string dir)
    {
        for (int n = 1; n <= 7; n++)
        {
            var image = OpenCvResize.Resize(ImageDecoder.Decode(Path.Combine(Fixtures.RepoRoot, "samples", "images", $"{n:D6}.png")), 128, 128);
            ImageEncoder.SavePng(image, Path.Combine(dir, $"frame{n:D3}.png"));
        }
        string clip = Path.Combine(dir, "clip.mp4");
        Run("ffmpeg", "-v", "error", "-framerate", "5", "-i", Path.Combine(dir, "frame%03d.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p", clip);
        return clip;
    }

    static int CountFrames(string video) =>
        int.Parse(Run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", video));

    [FfmpegFact]
    public void AnnotatedVideoHasTheInputsFrameCountAndRateAndJsonListsEveryFrame()
    {
        string dir = Directory.CreateTempSubdirectory("video-").FullName;
        try
        {
            string clip = MakeClip(dir), annotated = Path.Combine(dir, "annotated.mp4"), json = Path.Combine(dir, "frames.json");
            string model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");
            var (code, output, error) = CliRunner.Run("detect", model, clip, "--out", annotated, "--json", json, "--every", "2", "--batch-size", "2");
            Assert.True(code == 0, error);
            Assert.Contains("7 frames", output);

            Assert.Equal(CountFrames(clip), CountFrames(annotated));
            Assert.Equal("5/1", Run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate", "-of", "csv=p=0", annotated));
            var frames = JsonDocument.Parse(File.ReadAllText(json)).RootElement.EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(0, 7), frames.Select(f => f.GetProperty("frame").GetInt32()));
            Assert.Contains(frames, f => f.GetProperty("objects").GetArrayLength() > 0);
            // --every 2: odd frames repeat the boxes of the frame before.
            Assert.Equal(frames[2].GetProperty("objects").ToString(), frames[3].GetProperty("objects").ToString());
            Assert.Empty(Directory.GetFiles(dir, ".*partial*"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [FfmpegFact]
    public void UnreadableVideoIsAOneLineErrorWithExitCode2()
    {
        string dir = Directory.CreateTempSubdirectory("video-").FullName;
        try
        {
            string bad = Path.Combine(dir, "bad.mp4");
            File.WriteAllText(bad, "not a video");
            string model = Path.Combine(Fixtures.RepoRoot, "models", "shapes-tiny.safetensors");
            var (code, _, error) = CliRunner.Run("detect", model, bad, "--out", Path.Combine(dir, "out.mp4"));
            Assert.Equal(2, code);
            Assert.Contains("bad.mp4", error);
            Assert.Contains("not a readable video", error);
            Assert.False(File.Exists(Path.Combine(dir, "out.mp4")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>A fact that runs ffmpeg and ffprobe; skipped with a clear reason when they are not installed.</summary>
public sealed class FfmpegFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when ffmpeg or ffprobe is missing.</summary>
    public FfmpegFactAttribute()
    {
        if (VideoDetectionTests.FindOnPath("ffmpeg") is null || VideoDetectionTests.FindOnPath("ffprobe") is null)
            Skip = "ffmpeg/ffprobe not found on PATH (install FFmpeg: apt-get install ffmpeg; .ci/run does)";
    }
}
