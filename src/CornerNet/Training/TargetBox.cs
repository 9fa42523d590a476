namespace CornerNet.Training;

/// <summary>
/// A ground-truth box in network-input pixel coordinates (after augmentation and clipping), with its 0-based class.
/// </summary>
/// <param name="X1">Left.</param>
/// <param name="Y1">Top.</param>
/// <param name="X2">Right.</param>
/// <param name="Y2">Bottom.</param>
/// <param name="ClassIndex">0-based class index.</param>
internal readonly record struct TargetBox(double X1, double Y1, double X2, double Y2, int ClassIndex);
