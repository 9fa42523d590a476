namespace CornerNet;

/// <summary>
/// Hard limits on sizes read from input files, checked before anything is allocated: image dimensions (from the
/// header, in 64-bit arithmetic), decompressed JSON size, and the size of the network a model file describes. A file
/// beyond a limit is an <see cref="InvalidInputException"/> naming the file, the size and the limit, never a crash or
/// a machine-filling allocation. <see cref="Default"/> is what readers use when given no limits; the CLI sets it from
/// <c>--max-image-pixels</c>.
/// </summary>
public sealed record InputLimits
{
    /// <summary>
    /// Most pixels a decoded image may have (default 100 million, e.g. 12000×8000; decoding takes about 7 bytes per
    /// pixel at its peak, so 0.7 GB).
    /// </summary>
    public long MaxImagePixels { get; init; } = 100_000_000;

    /// <summary>Longest image side in pixels (default 32768).</summary>
    public int MaxImageSide { get; init; } = 32_768;

    /// <summary>Most bytes a JSON file may hold after gzip decompression (default 1 GiB; COCO's largest file is 0.45
    /// GB).</summary>
    public long MaxJsonBytes { get; init; } = 1L << 30;

    /// <summary>Most parameters a model file's config may describe (default 2 billion, 8 GB of float32; Hourglass-104
    /// has 0.2 billion).</summary>
    public long MaxModelParameters { get; init; } = 2_000_000_000;

    /// <summary>The limits used when a reader is given none. Settable by programs (the CLI's options); not thread-safe
    /// to change while reading.</summary>
    public static InputLimits Default { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a limit is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxImagePixels, 1, nameof(MaxImagePixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxImageSide, 1, nameof(MaxImageSide));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxJsonBytes, 1, nameof(MaxJsonBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxModelParameters, 1, nameof(MaxModelParameters));
    }
}
