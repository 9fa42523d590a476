namespace CornerNet.Training;

/// <summary>
/// How the radius of a corner's Gaussian is chosen. The paper (§3.2) asks for the radius such that a pair of corners
/// within it still gives a box with IoU ≥ t with the ground truth, with t = 0.7 and σ = r/3; the official code has two
/// different formulas for that, and the paper's ablation (Table 2) also tries a fixed radius.
/// </summary>
internal enum RadiusRule
{
    /// <summary>
    /// Today's official <c>gaussian_radius</c> (CornerNet commit 3e71377, 2019): the exact worst case when each corner
    /// may move anywhere in [−r, r]² (the smallest of the three roots "both corners shifted the same way", "both
    /// inward", "both outward"). The official config uses it at t = 0.3, which is the default here.
    /// </summary>
    Official,

    /// <summary>
    /// The formula of the first official release (commit 0017821, 2018), used with t = 0.7 and presumably the one the
    /// paper's COCO models were trained with: it takes the larger roots and omits the division by 2a, so at t = 0.7 it
    /// gives radii 3.3–3.9× the exact t = 0.7 radius, similar in size to <see cref="Official"/> at t = 0.3.
    /// </summary>
    Legacy2018,

    /// <summary>The same radius for every object, whatever its size (the paper's ablation uses 2.5).</summary>
    Fixed,
}
