namespace CornerNet.Training;

/// <summary>
/// A radius rule with its parameter: the IoU threshold t for <see cref="RadiusRule.Official"/> and
/// <see cref="RadiusRule.Legacy2018"/>, the radius itself for <see cref="RadiusRule.Fixed"/>.
/// </summary>
internal sealed record RadiusSetting(RadiusRule Rule, double Value)
{
    /// <summary>Today's official rule; default t = 0.3 as in the official config (the default of the
    /// project).</summary>
    public static RadiusSetting Official(double iou = GaussianRadius.OfficialIou) => new(RadiusRule.Official, iou);

    /// <summary>The 2018 release's formula; default t = 0.7 as then configured.</summary>
    public static RadiusSetting Legacy2018(double iou = GaussianRadius.PaperIou) => new(RadiusRule.Legacy2018, iou);

    /// <summary>The same radius for all objects; default 2.5 as in the paper's ablation.</summary>
    public static RadiusSetting Fixed(double radius = GaussianRadius.PaperFixedRadius) => new(RadiusRule.Fixed, radius);

    /// <summary>The integer radius drawn for a box of the given size in output-map pixels.</summary>
    public int DrawnRadius(double height, double width) => GaussianRadius.DrawnRadius(height, width, Rule, Value);
}
