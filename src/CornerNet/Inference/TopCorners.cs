using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>The K best corners of each image over class × position jointly, score descending (the official
/// <c>_topk</c>).</summary>
/// <param name="Scores">Corner scores, float32 N×K.</param>
/// <param name="Indices">Position within the class map, y·W + x, int64 N×K.</param>
/// <param name="Classes">Class index (0-based), int64 N×K.</param>
/// <param name="Ys">Row y as float32, N×K.</param>
/// <param name="Xs">Column x as float32, N×K.</param>
internal sealed record TopCorners(Tensor Scores, Tensor Indices, Tensor Classes, Tensor Ys, Tensor Xs);
