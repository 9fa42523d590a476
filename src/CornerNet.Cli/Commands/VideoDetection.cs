using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CornerNet.Data;
using CornerNet.Inference;
using Spectre.Console;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet detect MODEL VIDEO --out ANNOTATED.mp4 [--every N] [--json FILE]</c>: frames decoded by an
/// <c>ffmpeg</c> subprocess (raw BGR through a pipe) go through batched detection, get their boxes drawn, and are
/// re-encoded (H.264) at the input's frame rate by a second <c>ffmpeg</c>; the frame count stays the input's.
/// </summary>
static class VideoDetection
{
    static readonly string[] Extensions = [".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v"];

    /// <summary>Whether <paramref name="path"/> names a video (by extension).</summary>
    public static bool IsVideo(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>One frame's objects in the <c>--json</c> file.</summary>
    sealed record FrameObjects(int frame, double time, IReadOnlyList<FrameObject> objects);

    sealed record FrameObject(int class_id, string class_name, float score, float[] box);

    /// <summary>Detects in every <paramref name="every"/>-th frame (frames between keep the last boxes); returns the
    /// frames written.</summary>
    public static int Run(Detector detector, string input, string? output, string? json, int every, int batchSize, float minScore)
    {
        if (every < 1) throw new InvalidInputException(null, $"--every must be at least 1, got {every}");
        if (output is null && json is null) throw new InvalidInputException(input, "a video needs --out ANNOTATED.mp4 and/or --json FILE");
        InputFile.RequireRegular(input);
        if (!File.Exists(input)) throw new InvalidInputException(input, "not found");
        string ffmpeg = Find("ffmpeg"), ffprobe = Find("ffprobe");
        var (width, height, rate, expectedFrames) = Probe(ffprobe, input);
        double fps = Fraction(rate);
        int frameBytes = checked(width * height * 3);

        using var decoder = Start(ffmpeg, ["-v", "error", "-i", input, "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]);
        var decoderErrors = decoder.StandardError.ReadToEndAsync();
        // The encoder writes a temporary file (removed on a failure or a stop signal), renamed when complete; its name
        // does not end in the extension, so the container is named.
        string? partial = null;
        if (output is not null)
        {
            var (name, stream) = TemporaryFiles.Create(Path.GetFullPath(output));
            stream.Dispose();
            partial = name;
        }
        using var encoder = partial is null ? null : Start(ffmpeg, ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", $"{width}x{height}",
            "-framerate", rate, "-i", "pipe:0", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-f", Container(output!), partial]);
        var encoderErrors = encoder?.StandardError.ReadToEndAsync();
        var frames = new List<FrameObjects>();
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        IReadOnlyList<DetectedObject> last = [];
        int written = 0;
        var source = decoder.StandardOutput.BaseStream;
        // One batch of frames (only every N-th one goes through the network); false at the end of the video.
        bool Step()
        {
            var batch = new List<BgrImage>();
            while (batch.Count < batchSize * every && ReadFrame(source, frameBytes) is byte[] pixels) batch.Add(new BgrImage(width, height, pixels));
            if (batch.Count == 0) return false;
            var detected = batch.Where((_, k) => (written + k) % every == 0).ToList();
            var found = detector.Detect(detected, batchSize);
            int next = 0;
            for (int k = 0; k < batch.Count; k++)
            {
                int index = written + k;
                if (index % every == 0) last = found[next++].Where(d => d.Score >= minScore).ToList();
                frames.Add(new FrameObjects(index, Math.Round(index / fps, 4), last.Select(d => new FrameObject(d.CategoryId, d.ClassName, d.Score, [d.X1, d.Y1, d.X2, d.Y2])).ToList()));
                if (encoder is not null)
                {
                    // The encoder was told the input's frame size.
                    using var drawn = DetectionDrawing.Draw(batch[k], last, keepSize: true);
                    encoder.StandardInput.BaseStream.Write(ImageEncoder.FromBitmap(drawn).Pixels);
                }
            }
            written += batch.Count;
            return true;
        }
        string Rate() => $"{written / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} frames/s";
        try
        {
            if (Terminal.Interactive)
            {
                Terminal.Current().Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask("video", maxValue: Math.Max(expectedFrames, 1));
                        task.IsIndeterminate = expectedFrames <= 0;
                        while (Step())
                        {
                            task.Value = Math.Min(written, task.MaxValue);
                            task.Description = $"video, {Rate()}";
                        }
                        task.Value = task.MaxValue;
                    });
            }
            else
            {
                while (Step())
                {
                    if (clock.Elapsed - lastReport <= TimeSpan.FromSeconds(5)) continue;
                    lastReport = clock.Elapsed;
                    Console.Error.WriteLine($"frame {written}" + (expectedFrames > 0 ? $"/{expectedFrames}" : "") + $", {Rate()}");
                }
            }
            decoder.WaitForExit();
            if (decoder.ExitCode != 0) throw new InvalidInputException(input, $"ffmpeg could not decode it: {FirstLine(decoderErrors.Result)}");
            if (encoder is not null)
            {
                encoder.StandardInput.Close();
                encoder.WaitForExit();
                if (encoder.ExitCode != 0) throw new InvalidInputException(output, $"ffmpeg could not encode it: {FirstLine(encoderErrors!.Result)}");
                AtomicFile.Commit(partial!, output!);
            }
        }
        finally
        {
            if (!decoder.HasExited) decoder.Kill();
            if (encoder is { HasExited: false }) encoder.Kill();
            if (partial is not null) TemporaryFiles.Discard(partial);
        }
        Console.Error.WriteLine($"{written} frames in {clock.Elapsed.TotalSeconds:F1} s ({written / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F1} frames/s)");
        if (written == 0) throw new InvalidInputException(input, "the video has no frames");
        if (json is not null) AtomicFile.WriteAllText(json, JsonSerializer.Serialize(frames));
        return written;
    }

    /// <summary>FFmpeg's name for the container of <paramref name="output"/>'s extension.</summary>
    static string Container(string output) => Path.GetExtension(output).ToLowerInvariant() switch
    {
        ".mkv" => "matroska",
        ".avi" => "avi",
        ".mov" => "mov",
        ".webm" => "webm",
        _ => "mp4",
    };

    static byte[]? ReadFrame(Stream source, int frameBytes)
    {
        var pixels = new byte[frameBytes];
        int read = source.ReadAtLeast(pixels, frameBytes, throwOnEndOfStream: false);
        return read == frameBytes ? pixels : null;
    }

    /// <summary>Size, frame rate and frame count (0 when the container does not say) of the first video
    /// stream.</summary>
    static (int Width, int Height, string Rate, int Frames) Probe(string ffprobe, string input)
    {
        // ffprobe prints the fields in its own order: width, height, r_frame_rate, nb_frames.
        using var probe = Start(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,r_frame_rate,nb_frames", "-of", "csv=p=0", input]);
        var errors = probe.StandardError.ReadToEndAsync();
        string text = probe.StandardOutput.ReadToEnd().Trim();
        probe.WaitForExit();
        var fields = text.Split(',');
        if (probe.ExitCode != 0 || fields.Length < 3 || !int.TryParse(fields[0], out int width) || !int.TryParse(fields[1], out int height) || Fraction(fields[2]) <= 0)
            throw new InvalidInputException(input, $"not a readable video ({FirstLine(errors.Result) ?? "no video stream"})");
        int frames = fields.Length > 3 && int.TryParse(fields[3], out int n) ? n : 0;
        return (width, height, fields[2], frames);
    }

    static double Fraction(string rate)
    {
        var parts = rate.Split('/');
        double num = double.Parse(parts[0], CultureInfo.InvariantCulture), den = parts.Length > 1 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        return den > 0 ? num / den : 0;
    }

    static string? FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();

    static string Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
        ?? throw new InvalidInputException(null, $"{program} not found on PATH: install FFmpeg to detect in videos (apt-get install ffmpeg)");

    static Process Start(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
    }
}
