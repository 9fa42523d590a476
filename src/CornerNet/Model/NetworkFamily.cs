using CornerNet.Runtime;
using CornerNet.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CornerNet.Model;

/// <summary>
/// A network family (<see cref="CornerNetConfig.Family"/>): what differs between CornerNet and its variants. The
/// stacked-hourglass network, its ONNX graph, its weight bound and its FLOP count are written once; a family supplies
/// its blocks, down- and up-sampling, stem, head kernel and official state-dict names, its test-time defaults, its
/// layout-probe block and the recognition of its official checkpoints. Each family lives in its own folder under
/// <c>Model/</c> (docs/ARCHITECTURE.md, "Network families"); its <see cref="Name"/> is the <c>"family"</c> value of model
/// files.
/// </summary>
public abstract class NetworkFamily
{
    private protected NetworkFamily(string name, int stride, int headKernel, int decodeK, int decodedDetections,
        bool fullImageCrop)
    {
        Name = name;
        (Stride, HeadKernel) = (stride, headKernel);
        (DecodeK, DecodedDetections, FullImageCrop) = (decodeK, decodedDetections, fullImageCrop);
    }

    /// <summary>The <c>"family"</c> value of model files and configs.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    // The network.

    /// <summary>Total downsampling of the stem, from input to heatmap (each stride-2 layer halves, rounding up).</summary>
    internal int Stride { get; }

    /// <summary>The stem: a 7×7 stride-2 conv module, then stride-2 residuals up to <see cref="Stride"/>.</summary>
    internal virtual Sequential Stem(CornerNetConfig config)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            new ConvolutionModule(7, 3, config.Stem[0], stride: 2),
            new ResidualModule(config.Stem[0], config.Stem[1], stride: 2),
        };
        for (int stride = 8; stride <= Stride; stride *= 2) layers.Add(new ResidualModule(config.Stem[1], config.Stem[1], stride: 2));
        return nn.Sequential(layers);
    }

    /// <summary>The hourglass's block from <paramref name="inDim"/> to <paramref name="outDim"/> channels; stride 2
    /// is the hourglass's down-sampling.</summary>
    internal abstract NetworkBlock Block(long inDim, long outDim, int stride = 1);

    /// <summary>The hourglass's ×2 up-sampling at <paramref name="dim"/> channels (official name <c>up2</c>; a torch
    /// layer whose parameters, if any, are keyed <c>up2.weight</c>, <c>up2.bias</c>).</summary>
    internal abstract nn.Module<Tensor, Tensor> Upsample(long dim);

    /// <summary>Writes an <see cref="Upsample"/> module of <paramref name="x"/>.</summary>
    internal abstract string WriteUpsample(IOperatorGraph graph, nn.Module<Tensor, Tensor> upsample, string x);

    /// <summary>Kernel of the heads' first convolution (the second is 1×1).</summary>
    internal int HeadKernel { get; }

    /// <summary>The top-level modules under their official state-dict names, in the official registration order
    /// (parts that the official code nests, such as the Lite <c>hg</c>, in a <see cref="ModuleGroup"/>).</summary>
    internal abstract IReadOnlyList<(string Name, nn.Module Module)> OfficialNames(NetworkParts parts);

    // Checks and costs.

    /// <summary>The widths that run through k×k dense convolutions (bounded by
    /// <see cref="CornerNetConfig.MaxWidth"/>).</summary>
    internal abstract IEnumerable<int> DenseWidths(CornerNetConfig config);

    /// <summary>A problem specific to the family with <paramref name="config"/>, or null.</summary>
    internal virtual string? Problem(CornerNetConfig config) => null;

    /// <summary>Counts the stem's convolutions for an <paramref name="height"/>×<paramref name="width"/> input;
    /// returns the stem's output size.</summary>
    internal virtual (int Height, int Width) CountStem(ConvolutionCount count, CornerNetConfig config, int height,
        int width)
    {
        var (h, w) = (ConvolutionCount.Strided(height, 7, 2), ConvolutionCount.Strided(width, 7, 2));
        count.Conv(3, config.Stem[0], 7, h, w);
        for (int stride = 4; stride <= Stride; stride *= 2)
        {
            (h, w) = (ConvolutionCount.Strided(h, 3, 2), ConvolutionCount.Strided(w, 3, 2));
            count.Residual(stride == 4 ? config.Stem[0] : config.Stem[1], config.Stem[1], h, w, stride2: true);
        }
        return (h, w);
    }

    /// <summary>Counts one <see cref="Block"/> with <paramref name="stride"/> whose input is <paramref name="inH"/>×
    /// <paramref name="inW"/> and output <paramref name="h"/>×<paramref name="w"/>.</summary>
    internal abstract void CountBlock(ConvolutionCount count, long inDim, long outDim, int stride, int inH, int inW,
        int h, int w);

    /// <summary>Counts one <see cref="Upsample"/> of a <paramref name="h"/>×<paramref name="w"/> input.</summary>
    internal abstract void CountUpsample(ConvolutionCount count, long dim, int h, int w);

    // Test time and training.

    /// <summary>The official test setting: corners kept per corner kind (decode K).</summary>
    internal int DecodeK { get; }

    /// <summary>The official test setting: detections kept from decoding.</summary>
    internal int DecodedDetections { get; }

    /// <summary>Whether the official training sampler may take the whole image instead of a random crop.</summary>
    internal bool FullImageCrop { get; }

    /// <summary>The block the memory-layout probe times for this family (Runtime/LayoutProbe).</summary>
    internal abstract LayoutBlock LayoutBlock { get; }

    // Official checkpoints.

    /// <summary>The official keys by which <see cref="OwnsCheckpoint"/> knows this family, for error
    /// messages.</summary>
    internal abstract string CheckpointSignature { get; }

    /// <summary>Whether an official state dict (keys without <c>module.</c>) with <paramref name="keys"/> is this
    /// family's.</summary>
    internal abstract bool OwnsCheckpoint(IReadOnlyCollection<string> keys);

    /// <summary>An owned state dict under this family's own names (other official namings are renamed).</summary>
    internal virtual Dictionary<string, Tensor> ToOwnNames(Dictionary<string, Tensor> tensors) => tensors;

    /// <summary>The config that an owned state dict under its own names fits; <paramref name="source"/> names the
    /// file (errors are <see cref="WeightFileException"/>).</summary>
    internal abstract CornerNetConfig InferConfig(IReadOnlyDictionary<string, Tensor> tensors, string source);
}
