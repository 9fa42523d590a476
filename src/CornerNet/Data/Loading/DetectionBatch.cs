using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Data;

/// <summary>
/// A batch from <see cref="DetectionLoader"/>: the network inputs as one float32 tensor
/// (N × 3 × H × W, BGR, normalised) and, per image, its boxes in input pixels and class indices.
/// Dispose it (or move <see cref="Images"/> into a dispose scope) when done.
/// </summary>
internal sealed class DetectionBatch : IDisposable
{
    /// <summary>N × 3 × H × W float32 on the CPU.</summary>
    public Tensor Images { get; }

    /// <summary>Per image: the boxes (x1, y1, x2, y2) in input pixel coordinates.</summary>
    public IReadOnlyList<Box[]> Boxes { get; }

    /// <summary>Per image: the class index of each box.</summary>
    public IReadOnlyList<int[]> Classes { get; }

    /// <summary>Per image: its index in the source.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Number of images.</summary>
    public int Count => Indices.Count;

    internal DetectionBatch(IReadOnlyList<TrainingSample> samples, IReadOnlyList<int> indices)
    {
        // An empty batch (a process's empty chunk of a short last batch) has a 0 × 3 × 0 × 0 image tensor.
        int width = samples.Count > 0 ? samples[0].Width : 0, height = samples.Count > 0 ? samples[0].Height : 0;
        int size = 3 * width * height;
        var values = new float[samples.Count * size];
        for (int i = 0; i < samples.Count; i++) Array.Copy(samples[i].Input, 0, values, i * size, size);
        Images = torch.tensor(values, [samples.Count, 3, height, width]);
        Boxes = samples.Select(s => s.Boxes).ToArray();
        Classes = samples.Select(s => s.Classes).ToArray();
        Indices = indices.ToArray();
    }

    /// <summary>Releases the image tensor.</summary>
    public void Dispose() => Images.Dispose();
}
