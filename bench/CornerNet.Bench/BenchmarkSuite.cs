namespace CornerNet.Benchmarks;

/// <summary>Which figures a benchmark run measures.</summary>
internal enum BenchmarkSuite
{
    /// <summary>Everything below: the figures of the speed table.</summary>
    Standard,
    /// <summary>
    /// Matmul peak; test-path forward incl. decode with folded BatchNorm, interleaved with the unfolded network and
    /// with channels-last layout (<c>_unfolded</c>, <c>_channels_last</c>); the flip batch; achieved GFLOP/s.
    /// </summary>
    Forward,
    /// <summary>Decoding a flip batch of heads (K = 100).</summary>
    Decode,
    /// <summary>One training step: forward of all stacks, loss, backward, Adam.</summary>
    Train,
    /// <summary>COCO evaluation of the <c>big</c> fixture case (skipped when the fixture is absent).</summary>
    Evaluate,
    /// <summary>Training-data loader throughput with full augmentation on synthetic shapes.</summary>
    Loader,
    /// <summary>Corner-pooling candidates, forward + backward.</summary>
    CornerPool,
    /// <summary>
    /// Not part of <see cref="Standard"/>: ONNX export (time, file size) and the raw network forward with ONNX Runtime,
    /// interleaved with the TorchSharp forward (folded BatchNorm, no decode) of the same weights.
    /// </summary>
    Onnx,
    /// <summary>
    /// Not part of <see cref="Standard"/>: the forward of an int8 QDQ model (calibrated on one random image, see
    /// <c>cornernet quantize</c>) with ONNX Runtime, interleaved with the float ONNX Runtime and TorchSharp forwards of
    /// the same weights; agreement of the int8 and float top heatmap peaks.
    /// </summary>
    Int8,
    /// <summary>
    /// Not part of <see cref="Standard"/>: the test procedure (no flip) over 8 random images of the bench size at batch
    /// 1, 2, 4 and 8 (<c>images_per_s</c>).
    /// </summary>
    Batch,
}
