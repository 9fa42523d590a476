using CornerNet.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// Builds the network input of the official test procedure (<c>test/coco.py kp_detection</c>): OpenCV-exact bilinear
/// resize, centring in a canvas of (int(h·s) | 127) × (int(w·s) | 127) filled with zeros, then x/255 and
/// (x − mean)/std computed in float64 and stored as float32, so the padding becomes −mean/std. An RGB model
/// (<see cref="ImageNormalization.Rgb"/>) gets the decoded BGR channels reversed first.
/// </summary>
public sealed class ImagePreprocessor
{
    readonly double[] _mean;
    readonly double[] _std;
    readonly bool _rgb;

    /// <summary>
    /// Creates a preprocessor with <paramref name="normalization"/> (default: the official COCO mean/std, BGR) for a
    /// network of output stride <paramref name="stride"/> (4: CornerNet, 8: CornerNet-Squeeze).
    /// </summary>
    public ImagePreprocessor(ImageNormalization? normalization = null, int stride = 4)
    {
        if (stride is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(stride), stride, "the output stride is 4 or 8");
        Stride = stride;
        normalization ??= ImageNormalization.Coco;
        if (normalization.Mean.Length != 3 || normalization.Std.Length != 3) throw new ArgumentException("mean and std need three values", nameof(normalization));
        if (normalization.Std.Any(s => !(s > 0))) throw new ArgumentException("std values must be positive", nameof(normalization));
        _mean = normalization.Mean.Select(v => (double)v).ToArray();
        _std = normalization.Std.Select(v => (double)v).ToArray();
        _rgb = normalization.Rgb;
    }

    /// <summary>The network's output stride, which sets the output map size of <see cref="ScaleGeometry"/>.</summary>
    public int Stride { get; }

    /// <summary>
    /// The normalized 1×3×H×W float32 input of <paramref name="image"/> at <paramref name="scale"/> (on the CPU, or on
    /// <paramref name="device"/>), with the geometry that maps detections back.
    /// </summary>
    internal (Tensor Input, ScaleGeometry Geometry) Prepare(BgrImage image, double scale, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var g = ScaleGeometry.For(image.Height, image.Width, scale, Stride);
        var resized = OpenCvResize.Resize(image, g.ResizedWidth, g.ResizedHeight).Pixels;
        var canvas = new byte[g.InputHeight * g.InputWidth * 3];
        int rows = g.Bottom - g.Top, bytesPerRow = (g.Right - g.Left) * 3;
        for (int y = 0; y < rows; y++)
            Buffer.BlockCopy(resized, y * g.ResizedWidth * 3, canvas, ((g.Top + y) * g.InputWidth + g.Left) * 3, bytesPerRow);

        using var scope = NewDisposeScope();
        // An explicit, held Scalar: an implicitly converted one can be freed by the GC during the call (see
        // KeptScalars).
        using var byteRange = 255.0.ToScalar();
        var hwc = tensor(canvas, [g.InputHeight, g.InputWidth, 3]).to_type(ScalarType.Float64).div_(byteRange);
        if (_rgb) hwc = hwc.flip(2);
        var normalized = (hwc - tensor(_mean, dtype: ScalarType.Float64)) / tensor(_std, dtype: ScalarType.Float64);
        var input = normalized.permute(2, 0, 1).unsqueeze(0).to_type(ScalarType.Float32).contiguous();
        if (device != null) input = input.to(device);
        return (input.MoveToOuterDisposeScope(), g);
    }

    /// <summary>The official flip-test batch: <paramref name="input"/> (1×3×H×W) followed by its left-right
    /// mirror.</summary>
    internal static Tensor WithMirror(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        return cat(new[] { input, input.flip(3) }, 0).MoveToOuterDisposeScope();
    }
}
