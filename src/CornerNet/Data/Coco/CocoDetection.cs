namespace CornerNet.Data;

/// <summary>One record of a COCO results file: <c>{image_id, category_id, bbox: [x, y, w, h], score}</c>.</summary>
public readonly record struct CocoDetection(long ImageId, long CategoryId, CocoBox Box, double Score)
{
    /// <summary>
    /// This record as the official <c>db/coco.py convert_to_coco</c> writes it: every bbox value and the score rounded
    /// to 2 decimals like Python's <c>float("{:.2f}".format(v))</c> (round half to even on the exact binary value).
    /// <c>detect</c> and <c>test</c> write full precision.
    /// </summary>
    public CocoDetection RoundedToTwoDecimals() =>
        this with { Box = new CocoBox(Round(Box.X), Round(Box.Y), Round(Box.Width), Round(Box.Height)), Score = Round(Score) };

    // Exact for float32 values (what detections hold): a float has 24 significant bits and 100 needs 7, so v·100 is
    // exact in double; rounding it half to even is the correctly rounded decimal, and n/100 the double nearest to it.
    static double Round(double v) => Math.Round(v * 100.0, MidpointRounding.ToEven) / 100.0;
}
