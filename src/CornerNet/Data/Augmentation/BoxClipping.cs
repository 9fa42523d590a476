namespace CornerNet.Data;

/// <summary>
/// The official <c>_clip_detections</c>: coordinates clamped to the last pixel
/// ([0, width − 1], [0, height − 1]); boxes left with no width or no height are dropped.
/// </summary>
internal static class BoxClipping
{
    /// <summary>Clips <paramref name="boxes"/> to a <paramref name="width"/> × <paramref name="height"/> image;
    /// <paramref name="classes"/> stay aligned.</summary>
    public static (Box[] Boxes, int[] Classes) Apply(IReadOnlyList<Box> boxes, IReadOnlyList<int> classes, int width, int height)
    {
        if (boxes.Count != classes.Count) throw new ArgumentException("boxes and classes differ in length");
        var keptBoxes = new List<Box>(boxes.Count);
        var keptClasses = new List<int>(boxes.Count);
        for (int i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            var c = new Box(Math.Clamp(b.X1, 0, width - 1), Math.Clamp(b.Y1, 0, height - 1),
                            Math.Clamp(b.X2, 0, width - 1), Math.Clamp(b.Y2, 0, height - 1));
            if (c.X2 - c.X1 > 0 && c.Y2 - c.Y1 > 0)
            {
                keptBoxes.Add(c);
                keptClasses.Add(classes[i]);
            }
        }
        return (keptBoxes.ToArray(), keptClasses.ToArray());
    }
}
