namespace CornerNet.Runtime;

/// <summary>How the network's tensors are laid out in memory (<c>DetectionOptions.Layout</c>); results are the
/// same in every layout.</summary>
public enum MemoryLayout
{
    /// <summary>Channels first (N×C×H×W contiguous), libtorch's default.</summary>
    Nchw,
    /// <summary>Channels last (N×H×W×C in memory), which oneDNN convolutions often run faster.</summary>
    ChannelsLast,
    /// <summary>Channels-last where this CPU measurably runs it faster, else NCHW (<see cref="AutoLayout"/>); the
    /// default.</summary>
    Auto,
}
