namespace CornerNet.Data;

/// <summary>
/// One augmented training image: the normalised network input (3 × <see cref="Height"/> × <see cref="Width"/>,
/// channel-first, BGR) and the objects that survived cropping, as boxes in input pixel coordinates with
/// their class indices.
/// </summary>
internal sealed record TrainingSample(float[] Input, int Width, int Height, Box[] Boxes, int[] Classes);
