using CornerNet.Data;
using CornerNet.Model;
using System.Text.Json;
using CornerNet.Training;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Training;

/// <summary>Reads small_cornernet_train.safetensors/.json and reproduces the official sampler's box transform.</summary>
static class TrainFixture
{
    public const int InputSize = 127, OutputSize = 32, Classes = 10;

    public static SafeTensorsFile Tensors() => SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet_train.safetensors"));

    public static JsonDocument Json() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Reference, "small_cornernet_train.json")));

    public static TargetOptions Options => new(Classes, InputSize, InputSize, OutputSize, OutputSize);

    /// <summary>
    /// The official sampler's boxes with rand_crop off: centre the image in a square of side max(h, w)
    /// (<c>_full_image_crop</c>), resize to the input size (boxes scaled per axis), clip to [0, size − 1], drop
    /// degenerate boxes, mirror (<c>x' = size − x − 1</c>, x1 and x2 swapped) when flipped; class = category − 1.
    /// </summary>
    public static (List<Box> Boxes, List<int> Classes) SamplerBoxes(int height, int width, IEnumerable<double[]> boxes, bool flipped)
    {
        int side = Math.Max(height, width);
        double shiftX = side / 2 - width / 2, shiftY = side / 2 - height / 2;
        double scaleX = (double)InputSize / side, scaleY = (double)InputSize / side;
        double max = InputSize - 1;
        var result = (Boxes: new List<Box>(), Classes: new List<int>());
        foreach (var b in boxes)
        {
            double x1 = Math.Clamp((b[0] + shiftX) * scaleX, 0, max), y1 = Math.Clamp((b[1] + shiftY) * scaleY, 0, max);
            double x2 = Math.Clamp((b[2] + shiftX) * scaleX, 0, max), y2 = Math.Clamp((b[3] + shiftY) * scaleY, 0, max);
            if (x2 - x1 <= 0 || y2 - y1 <= 0) continue;
            if (flipped) (x1, x2) = (InputSize - x2 - 1, InputSize - x1 - 1);
            // The official sampler holds boxes in float32.
            result.Boxes.Add(new Box((float)x1, (float)y1, (float)x2, (float)y2));
            result.Classes.Add((int)b[4] - 1);
        }
        return result;
    }

    /// <summary>The fixture's two images through <see cref="SamplerBoxes"/> and <see cref="CornerTargets.Build"/>.</summary>
    public static List<CornerTargets> BuildTargets(TargetOptions options)
    {
        using var json = Json();
        var flipped = json.RootElement.GetProperty("flipped").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        var images = json.RootElement.GetProperty("source_images").EnumerateArray().ToArray();
        var targets = new List<CornerTargets>();
        for (int i = 0; i < images.Length; i++)
        {
            var boxes = images[i].GetProperty("boxes_x1y1x2y2_category1based").EnumerateArray()
                .Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray());
            var transformed = SamplerBoxes(images[i].GetProperty("height").GetInt32(), images[i].GetProperty("width").GetInt32(), boxes, flipped[i]);
            targets.Add(CornerTargets.Build(transformed.Boxes, transformed.Classes, options));
        }
        return targets;
    }

    /// <summary>The fixture's targets as a batch, straight from its tensors.</summary>
    public static CornerTargetBatch TargetBatch(SafeTensorsFile file) => new(
        file.Load("tl_heatmaps"), file.Load("br_heatmaps"), file.Load("tl_regrs"), file.Load("br_regrs"),
        file.Load("tl_tags"), file.Load("br_tags"), file.Load("tag_masks"));

    /// <summary>The stored train-mode outputs of stack <paramref name="s"/> (tags and offsets gathered).</summary>
    public static HeadOutputs Stack(SafeTensorsFile file, int s) => new(
        file.Load($"stack{s}_tl_heats"), file.Load($"stack{s}_br_heats"),
        file.Load($"stack{s}_tl_tags_gathered"), file.Load($"stack{s}_br_tags_gathered"),
        file.Load($"stack{s}_tl_regrs_gathered"), file.Load($"stack{s}_br_regrs_gathered"));

    public static double Value(Tensor scalar) => scalar.to_type(ScalarType.Float64).item<double>();
}
