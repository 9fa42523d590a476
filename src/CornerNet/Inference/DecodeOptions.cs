namespace CornerNet.Inference;

/// <summary>Parameters of corner decoding; the defaults are the official test settings
/// (config/CornerNet.json).</summary>
/// <param name="K">How many top-left and how many bottom-right corners are kept (over all classes jointly).</param>
/// <param name="Kernel">Side of the max-pool window used to suppress non-peak heatmap locations (odd).</param>
/// <param name="AeThreshold">Largest accepted |tl embedding − br embedding|; a distance equal to it is kept.</param>
/// <param name="NumDets">How many corner pairs are returned per image, best first (rejected pairs carry score
/// −1).</param>
/// <param name="NoBorder">Also reject pairs whose top-left corner lies in the first row or column, or whose
/// bottom-right corner lies in the last row or column of the map (official <c>no_border</c>, used by
/// CornerNet-Saccade's crops).</param>
public sealed record DecodeOptions(int K = 100, int Kernel = 3, double AeThreshold = 0.5, int NumDets = 1000,
    bool NoBorder = false)
{
    /// <summary>
    /// The official test settings of the model's family (<see cref="Model.CornerNetConfig.Family"/>): K and detections
    /// kept from its official config (e.g. K 100 and 1000 detections for CornerNet), the other parameters as above.
    /// </summary>
    public static DecodeOptions For(Model.CornerNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new DecodeOptions(K: config.Family.DecodeK, NumDets: config.Family.DecodedDetections);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a parameter cannot be used.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(K, 1, nameof(K));
        ArgumentOutOfRangeException.ThrowIfLessThan(NumDets, 1, nameof(NumDets));
        if (Kernel < 1 || Kernel % 2 == 0) throw new ArgumentOutOfRangeException(nameof(Kernel), Kernel, "the kernel must be odd and positive");
        ArgumentOutOfRangeException.ThrowIfNegative(AeThreshold, nameof(AeThreshold));
    }
}
