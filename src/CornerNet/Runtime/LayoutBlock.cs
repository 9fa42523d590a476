namespace CornerNet.Runtime;

/// <summary>The block of a network family that <see cref="LayoutProbe"/> times (the family names its block:
/// <c>NetworkFamily.LayoutBlock</c>).</summary>
internal enum LayoutBlock
{
    /// <summary>A residual block: two 3×3 convolutions 128→128, a ReLU and the residual add
    /// (Hourglass-104).</summary>
    Residual,
    /// <summary>A fire module: 1×1 squeeze 128→64, 1×1 and depthwise 3×3 expansions, concatenation, residual add
    /// (CornerNet-Squeeze).</summary>
    Fire,
}
