namespace CornerNet.Inference;

/// <summary>
/// A place to look at in the photo (official rows y, x, scale, score): the crop centre in photo pixels, the zoom
/// (network input side / crop side) and the attention value, or 1 for a reference detection.
/// </summary>
internal readonly record struct SaccadeLocation(double Y, double X, double Scale, double Score);
