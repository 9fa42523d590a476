using CornerNet.Data;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Onnx;
using CornerNet.Quantization;
using CornerNet.Runtime;
using static TorchSharp.torch;

namespace CornerNet.Benchmarks;

internal sealed partial class BenchmarkRunner
{
    /// <summary>Heatmap peaks compared between the int8 and float heads (random weights: the only accuracy check
    /// possible).</summary>
    const int AgreementPeaks = 100;

    void Int8Forward()
    {
        using var model = RandomModel();
        var classes = Enumerable.Range(1, _config.Classes).Select(i => new ClassInfo(i, $"class{i}")).ToArray();
        string floatPath = Path.Combine(Path.GetTempPath(), $"cornernet-bench-{Environment.ProcessId}.onnx");
        string int8Path = Path.Combine(Path.GetTempPath(), $"cornernet-bench-{Environment.ProcessId}.int8.onnx");
        try
        {
            _status($"exporting {_options.PresetName} to ONNX ({_options.Size}×{_options.Size})");
            // Exporting folds the model's BatchNorm in place, so the TorchSharp figure below is of the folded network
            // too.
            OnnxExporter.Export(model, classes, floatPath, new OnnxExportOptions { InputSize = [_options.Size, _options.Size] });
            manual_seed(1);
            using var image = randn(1, 3, _options.Size, _options.Size);
            using var calibrationImage = randn(1, 3, _options.Size, _options.Size);
            _status("calibrating and quantizing (one random image, min/max ranges)");
            var quantization = BenchmarkTimer.Measure($"quantize_{Tag}", () =>
                AtomicFile.WriteAllBytes(int8Path, OnnxQuantizer.Quantize(File.ReadAllBytes(floatPath), new QuantizationOptions(), network =>
                {
                    using var scope = NewDisposeScope();
                    network(calibrationImage);
                })), warmup: 0, runs: 1);
            quantization.Extra["file_mb"] = new FileInfo(int8Path).Length / 1e6;
            Add(quantization);

            using var onnxFloat = OnnxRuntimeNetwork.Load(floatPath, Environment.ProcessorCount);
            using var onnxInt8 = OnnxRuntimeNetwork.Load(int8Path, Environment.ProcessorCount);
            string name = $"forward_{Tag}_int8";
            _status($"measuring {name}: ONNX Runtime {OnnxRuntimeNetwork.RuntimeVersion} int8 and float, TorchSharp, interleaved ({_options.Warmup} warm-up, {_options.Runs} runs)");
            var records = BenchmarkTimer.Interleaved(new (string, Action)[]
            {
                (name, () => { using var scope = NewDisposeScope(); onnxInt8.Forward(image); }),
                (name + "_vs_onnx_fp32", () => { using var scope = NewDisposeScope(); onnxFloat.Forward(image); }),
                (name + "_vs_torch_fp32", () =>
                {
                    using var scope = NewDisposeScope();
                    using var _ = no_grad();
                    model.forward(image);
                }),
            }, _options.Warmup, _options.Runs);
            records[0].Extra["onnxruntime"] = OnnxRuntimeNetwork.RuntimeVersion;
            records[0].Extra["activations"] = AutoActivationType.For(0).Chosen.ToString().ToLowerInvariant();
            records[0].Extra["speedup_vs_onnx_fp32"] = Math.Round(records[1].MedianMs / records[0].MedianMs, 2);
            records[0].Extra["speedup_vs_torch_fp32"] = Math.Round(records[2].MedianMs / records[0].MedianMs, 2);
            using (var scope = NewDisposeScope())
            {
                var int8 = onnxInt8.Forward(image);
                var fp32 = onnxFloat.Forward(image);
                records[0].Extra[$"top{AgreementPeaks}_tl_peak_agreement"] = Math.Round(PeakAgreement(int8.TlHeats, fp32.TlHeats), 3);
                records[0].Extra[$"top{AgreementPeaks}_br_peak_agreement"] = Math.Round(PeakAgreement(int8.BrHeats, fp32.BrHeats), 3);
                // Deviation relative to the float heatmap's own spread (random weights make the peaks near-ties).
                using var delta = (int8.TlHeats - fp32.TlHeats).square().mean().sqrt();
                using var spread = fp32.TlHeats.std();
                records[0].Extra["tl_heat_rms_error_over_std"] = Math.Round(delta.item<float>() / spread.item<float>(), 4);
            }
            foreach (var record in records) Add(record);
        }
        finally
        {
            File.Delete(floatPath);
            File.Delete(int8Path);
        }
    }

    /// <summary>Fraction of the float heatmap's top peaks (class, y, x) that are also among the int8 heatmap's top
    /// peaks.</summary>
    static double PeakAgreement(Tensor int8, Tensor fp32)
    {
        using var scope = NewDisposeScope();
        var a = int8.flatten().topk(AgreementPeaks).indexes.data<long>().ToHashSet();
        var b = fp32.flatten().topk(AgreementPeaks).indexes.data<long>().ToArray();
        return b.Count(a.Contains) / (double)b.Length;
    }
}
