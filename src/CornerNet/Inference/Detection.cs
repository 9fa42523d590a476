namespace CornerNet.Inference;

/// <summary>One detected object in image pixels (corners as the network predicts them: x2, y2 are the bottom-right
/// corner).</summary>
/// <param name="ClassIndex">0-based class index (the heatmap channel).</param>
/// <param name="Score">Score after soft-NMS.</param>
/// <param name="X1">Left.</param>
/// <param name="Y1">Top.</param>
/// <param name="X2">Right.</param>
/// <param name="Y2">Bottom.</param>
public readonly record struct Detection(int ClassIndex, float Score, float X1, float Y1, float X2, float Y2);
