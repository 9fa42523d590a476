using System.CommandLine;
using CornerNet.Inference;
using CornerNet.Model;
using CornerNet.Runtime;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Cli.Commands;

/// <summary>
/// <c>cornernet forward --model M --input IN.safetensors --out OUT.safetensors [--decode]</c>: the last stack's raw
/// head outputs (and with --decode the official decoder's detections) for the normalized N×3×H×W tensor <c>image</c>,
/// for parity checks.
/// </summary>
public static class ForwardCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Model file (.safetensors written by cornernet).", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "safetensors file with the tensor 'image' (N×3×H×W, normalized).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Where to write tl_heats, br_heats, tl_tags, br_tags, tl_regrs, br_regrs.", Required = true };
        var decode = new Option<bool>("--decode") { Description = "Also write 'detections' from the official decoder with the model family's test settings (CornerNet: K 100, 1000 detections; CornerNet-Squeeze: K 20, 100 detections; kernel 3, ae_threshold 0.5)." };
        var overwrite = OutputCheck.OverwriteOption();
        var command = new Command("forward", "Run a model in eval mode on a tensor and write its raw head outputs.") { model, input, output, decode, overwrite };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            TorchRuntime.SetThreads(0);
            string modelPath = parse.GetValue(model)!.FullName;
            string inputPath = parse.GetValue(input)!.FullName;
            string outPath = parse.GetValue(output)!.FullName;
            OutputCheck.Files(parse.GetValue(overwrite), [modelPath, inputPath], outPath);
            var (network, _) = ModelFile.Load(modelPath);
            using (network)
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var file = SafeTensorsFile.Read(inputPath);
                var image = file.Load("image");
                if (image.dim() != 4 || image.shape[1] != 3)
                    throw new InvalidInputException(inputPath, $"tensor 'image' must be N×3×H×W, got [{string.Join(",", image.shape)}]");
                var heads = network.forward(image.to(float32))[^1];
                var tensors = heads.Named().ToList();
                if (parse.GetValue(decode))
                {
                    var detections = new CornerDecoder(DecodeOptions.For(network.Config)).Decode(heads);
                    tensors.Add(new("detections", detections));
                }
                SafeTensorsFile.Write(outPath, tensors);
                Console.WriteLine($"wrote {outPath}: heads of {image.shape[0]} image(s), heatmaps {string.Join("×", heads.TlHeats.shape)}");
            }
            return 0;
        }));
        return command;
    }
}
