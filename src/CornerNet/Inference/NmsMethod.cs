namespace CornerNet.Inference;

/// <summary>How overlapping detections of one class are suppressed after decoding (official
/// <c>nms_algorithm</c>).</summary>
public enum NmsMethod
{
    /// <summary>No suppression: every decoded detection is a candidate for the per-image top list.</summary>
    None,

    /// <summary>Classic NMS: a box overlapping a better one by IoU &gt; Nt is discarded (official method 0,
    /// "nms").</summary>
    Hard,

    /// <summary>Linear soft-NMS: a score is multiplied by 1 − IoU when IoU &gt; Nt (official method 1,
    /// "linear_soft_nms").</summary>
    SoftLinear,

    /// <summary>Gaussian soft-NMS: a score is multiplied by exp(−IoU²/σ) (official method 2, "exp_soft_nms", the
    /// paper's choice).</summary>
    SoftGaussian,
}
