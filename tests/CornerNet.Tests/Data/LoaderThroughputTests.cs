using System.Diagnostics;
using CornerNet.Data;
using Xunit.Abstractions;

namespace CornerNet.Tests.Data;

/// <summary>A fact that runs only when CORNERNET_BENCH=1 (measurements, not checks).</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    /// <summary>Skips unless the environment asks for benchmarks.</summary>
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CORNERNET_BENCH") != "1") Skip = "benchmark: set CORNERNET_BENCH=1 to run";
    }
}

/// <summary>Loader throughput at the paper's input size with full augmentation; prints images/s, asserts nothing about time.</summary>
public class LoaderThroughputTests(ITestOutputHelper output)
{
    /// <summary>JPEG files decoded on every load (no boxes: they cost next to nothing).</summary>
    sealed class JpegFolderSource(string[] files) : IDetectionSource
    {
        public int Count => files.Length;
        public LabeledImage Load(int index) => new(ImageDecoder.Decode(files[index]), [], []);
    }

    void Measure(string name, IDetectionSource source, int workers)
    {
        var loader = new DetectionLoader(source, new TrainingSampleBuilder(), new() { BatchSize = 4, Workers = workers, Seed = 1 });
        // Warm-up epoch (JIT, native libraries, file cache), then a timed one.
        foreach (var batch in loader.Epoch(0)) batch.Dispose();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        int images = 0;
        foreach (var batch in loader.Epoch(1)) { images += batch.Count; batch.Dispose(); }
        watch.Stop();
        process.Refresh();
        // CPU time per image is steadier than wall time on a shared machine.
        double cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / images;
        output.WriteLine($"{name}, {workers} worker(s): {images} images in {watch.Elapsed.TotalSeconds:F2} s = " +
            $"{images / watch.Elapsed.TotalSeconds:F1} images/s at 511×511; {cpuMs:F1} ms CPU per image");
    }

    [BenchmarkFact]
    public void Coco128JpegsWithFullAugmentation()
    {
        var files = Directory.GetFiles(Path.Combine(Fixtures.Coco128, "images", "train2017"), "*.jpg").Order().ToArray();
        Assert.NotEmpty(files);
        Measure("coco128 train2017 JPEGs", new JpegFolderSource(files), 1);
        Measure("coco128 train2017 JPEGs", new JpegFolderSource(files), 2);
    }

    [BenchmarkFact]
    public void SyntheticShapesWithFullAugmentation()
    {
        Measure("synthetic shapes 256 px (generated)", new SyntheticShapesSource(new SyntheticShapes(256), 64, 1), 2);
    }
}
