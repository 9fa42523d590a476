namespace CornerNet.Data;

/// <summary>One training image of the CornerNet-Saccade sampler.</summary>
/// <param name="Image">The network input, 3 × H × W, normalized, in the model's channel order.</param>
/// <param name="Boxes">The boxes in input pixels after the crop, clipping and flip (all of them, ignored ones
/// too).</param>
/// <param name="Classes">0-based class per box.</param>
/// <param name="MostlyInside">Per box: more than half of its area before the crop is still in the input (official
/// <c>bbox_overlaps</c> &gt; 0.5).</param>
/// <param name="Flipped">Whether the image was mirrored.</param>
internal sealed record SaccadeSample(float[] Image, Box[] Boxes, int[] Classes, bool[] MostlyInside, bool Flipped);
