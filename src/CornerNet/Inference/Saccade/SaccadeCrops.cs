using CornerNet.Data;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// The network inputs of the Saccade test procedure: the first-pass locations (the whole photo downsized) and the
/// crops around locations, exactly as the official <c>get_locs</c>, <c>prepare_images</c> and <c>crop_image_gpu</c>
/// compute them, float rounding included.
/// </summary>
internal static class SaccadeCrops
{
    /// <summary>
    /// The first pass (official <c>get_locs</c>): for each init size s the photo centre and scale s / max(h, w). The
    /// official code stores them in a float32 array, so the scale is rounded to float32 here too (96/125 becomes
    /// 0.76800001): the crops and the attention locations depend on that rounding.
    /// </summary>
    public static SaccadeLocation[] FirstPassLocations(int height, int width, IReadOnlyList<int> initSizes) =>
        initSizes.Select(size => new SaccadeLocation(
            height / 2, width / 2, (float)((double)size / Math.Max(height, width)), 0)).ToArray();

    /// <summary>
    /// The photo as the procedure reads it: <paramref name="image"/>'s BGR bytes / 255 in float64, 3×H×W.
    /// </summary>
    public static Tensor PhotoTensor(BgrImage image)
    {
        using var scope = NewDisposeScope();
        var bytes = tensor(image.Pixels, ScalarType.Byte).view(image.Height, image.Width, 3);
        using var divisor = 255.0.ToScalar();
        return bytes.permute(2, 0, 1).to_type(ScalarType.Float64).div_(divisor).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The official <c>prepare_images</c>: one zero-padded crop per location, resized so that the crop fills the
    /// input, as float32 N×3×H×W (not yet normalized), and each crop's offset (top, left) in photo pixels, as stored
    /// by the official code (float32).
    /// </summary>
    public static (Tensor Images, float[] Offsets) Prepare(Tensor photo, IReadOnlyList<SaccadeLocation> locations,
        int inputHeight, int inputWidth)
    {
        var images = zeros(locations.Count, 3, inputHeight, inputWidth, ScalarType.Float32);
        var offsets = new float[locations.Count * 2];
        for (int i = 0; i < locations.Count; i++)
        {
            var (y, x, scale, _) = locations[i];
            int cropHeight = (int)(inputHeight / scale), cropWidth = (int)(inputWidth / scale);
            using var canvas = images[i];
            var (top, left) = Crop(photo, (int)y, (int)x, cropHeight, cropWidth, canvas);
            offsets[2 * i] = top;
            offsets[2 * i + 1] = left;
        }
        return (images, offsets);
    }

    /// <summary>
    /// The official <c>crop_image_gpu</c>: the part of the crop (centre, size) inside the photo is resized by
    /// out_h / max(crop sides) (bilinear, half-pixel centres, no antialiasing, in the photo's float64) and written
    /// around the canvas centre; its extents are truncated, the rest of the canvas stays zero. Returns the crop's
    /// top-left corner in the photo. A crop with no part inside the photo leaves the canvas zero (the official code
    /// fails or distorts it there: Python slices with negative ends, <c>interpolate</c> to an empty size).
    /// </summary>
    public static (int Top, int Left) Crop(Tensor photo, int centreY, int centreX, int height, int width, Tensor canvas)
    {
        long outHeight = canvas.shape[1], outWidth = canvas.shape[2];
        int photoHeight = (int)photo.shape[1], photoWidth = (int)photo.shape[2];
        double scale = (double)outHeight / Math.Max(height, width);
        int x0 = Math.Max(0, centreX - FloorHalf(width)), x1 = Math.Min(centreX + FloorHalf(width), photoWidth);
        int y0 = Math.Max(0, centreY - FloorHalf(height)), y1 = Math.Min(centreY + FloorHalf(height), photoHeight);
        int left = centreX - x0, right = x1 - centreX, top = centreY - y0, bottom = y1 - centreY;
        long cy = outHeight / 2, cx = outWidth / 2;
        long outY0 = cy - (long)(top * scale), outY1 = cy + (long)(bottom * scale);
        long outX0 = cx - (long)(left * scale), outX1 = cx + (long)(right * scale);
        var offset = (centreY - FloorHalf(height), centreX - FloorHalf(width));
        if (x1 <= x0 || y1 <= y0 || outY0 < 0 || outX0 < 0 || outY1 > outHeight || outX1 > outWidth
            || outY1 <= outY0 || outX1 <= outX0)
            return offset;
        using var scope = NewDisposeScope();
        var part = photo.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0).unsqueeze(0);
        var resized = nn.functional.interpolate(part, size: [outY1 - outY0, outX1 - outX0],
            mode: InterpolationMode.Bilinear, align_corners: false);
        canvas.narrow(1, outY0, outY1 - outY0).narrow(2, outX0, outX1 - outX0).copy_(resized[0]);
        return offset;
    }

    /// <summary>Python's <c>n // 2</c> (floor, also for negative n).</summary>
    static int FloorHalf(int n) => n >> 1;

    /// <summary>The official <c>images -= mean; images /= std</c> in float32, in place.</summary>
    public static void Normalize(Tensor images, ImageNormalization normalization)
    {
        using var mean = tensor(normalization.Mean).view(1, 3, 1, 1);
        using var std = tensor(normalization.Std).view(1, 3, 1, 1);
        images.sub_(mean).div_(std);
    }
}
