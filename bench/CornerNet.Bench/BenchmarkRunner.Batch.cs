using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Runtime;
using static TorchSharp.torch;

namespace CornerNet.Benchmarks;

internal sealed partial class BenchmarkRunner
{
    /// <summary>Batch sizes of the batch suite.</summary>
    public static readonly int[] BatchSuiteSizes = [1, 2, 4, 8];

    /// <summary>Images per timed run of the batch suite (every batch size detects the same images).</summary>
    const int BatchSuiteImages = 8;

    void BatchedDetection()
    {
        using var model = RandomModel();
        model.FoldBatchNorm();
        var pipeline = DetectionPipeline.ForModel(model, new DetectionOptions { Flip = false, Precision = _options.Precision, Layout = _options.Layout });
        var random = new Random(0);
        var images = Enumerable.Range(0, BatchSuiteImages).Select(_ =>
        {
            var pixels = new byte[_options.Size * _options.Size * 3];
            random.NextBytes(pixels);
            return new BgrImage(_options.Size, _options.Size, pixels);
        }).ToList();
        foreach (int batch in BatchSuiteSizes)
        {
            var record = Time($"detect_batch{batch}_{Tag}", () => pipeline.Detect(images, batch));
            // Images per second from the fastest run: the run least disturbed by other load on the machine.
            record.Extra["images"] = BatchSuiteImages;
            record.Extra["batch"] = batch;
            record.Extra["precision"] = pipeline.Options.Precision.ToString().ToLowerInvariant();
            record.Extra["images_per_s"] = BatchSuiteImages / (record.MinMs / 1000);
            Add(record);
        }
    }
}
