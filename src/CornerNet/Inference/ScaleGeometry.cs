namespace CornerNet.Inference;

/// <summary>
/// Where an image lands in the network input at one test scale, and what maps detections back (official
/// <c>test/coco.py</c>): the image is resized to int(h·s)×int(w·s) and centred in a canvas of (int(h·s) | 127) ×
/// (int(w·s) | 127); the output maps are ((H + 1)/stride)×((W + 1)/stride), stride 4 (CornerNet) or 8
/// (CornerNet-Squeeze, whose test takes the ratio of the config's input and output sizes, 512 / 64).
/// </summary>
internal sealed record ScaleGeometry
{
    ScaleGeometry(double scale, int imageHeight, int imageWidth, int stride)
    {
        Scale = scale;
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        ResizedHeight = (int)(imageHeight * scale);
        ResizedWidth = (int)(imageWidth * scale);
        InputHeight = ResizedHeight | 127;
        InputWidth = ResizedWidth | 127;
        OutputHeight = (InputHeight + 1) / stride;
        OutputWidth = (InputWidth + 1) / stride;
        // The official crop_image: the canvas centre minus the resized image's centre. When the resized side is already
        // of the form 128k − 1 the canvas is no larger and the last row (column) of the resized image falls off it.
        Top = InputHeight / 2 - ResizedHeight / 2;
        Left = InputWidth / 2 - ResizedWidth / 2;
        Bottom = Math.Min(InputHeight / 2 + ResizedHeight / 2, ResizedHeight) - ResizedHeight / 2 + InputHeight / 2;
        Right = Math.Min(InputWidth / 2 + ResizedWidth / 2, ResizedWidth) - ResizedWidth / 2 + InputWidth / 2;
    }

    /// <summary>
    /// The geometry of an <paramref name="imageHeight"/>×<paramref name="imageWidth"/> image at
    /// <paramref name="scale"/>
    /// for a network of output stride <paramref name="stride"/> (<see cref="Model.CornerNetConfig.Stride"/>).
    /// </summary>
    public static ScaleGeometry For(int imageHeight, int imageWidth, double scale, int stride = 4)
    {
        if (stride is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(stride), stride, "the output stride is 4 or 8");
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1, nameof(imageHeight));
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1, nameof(imageWidth));
        if (!(scale > 0) || (int)(imageHeight * scale) < 1 || (int)(imageWidth * scale) < 1)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scale {scale} leaves nothing of a {imageHeight}×{imageWidth} image");
        return new ScaleGeometry(scale, imageHeight, imageWidth, stride);
    }

    /// <summary>The test scale s.</summary>
    public double Scale { get; }

    /// <summary>Original image rows.</summary>
    public int ImageHeight { get; }

    /// <summary>Original image columns.</summary>
    public int ImageWidth { get; }

    /// <summary>int(h·s).</summary>
    public int ResizedHeight { get; }

    /// <summary>int(w·s).</summary>
    public int ResizedWidth { get; }

    /// <summary>Network input rows: int(h·s) | 127.</summary>
    public int InputHeight { get; }

    /// <summary>Network input columns: int(w·s) | 127.</summary>
    public int InputWidth { get; }

    /// <summary>Output map rows: (InputHeight + 1)/stride.</summary>
    public int OutputHeight { get; }

    /// <summary>Output map columns: (InputWidth + 1)/stride.</summary>
    public int OutputWidth { get; }

    /// <summary>First canvas row holding the image (official border[0]).</summary>
    public int Top { get; }

    /// <summary>One past the last canvas row holding the image (border[1]).</summary>
    public int Bottom { get; }

    /// <summary>First canvas column holding the image (border[2]).</summary>
    public int Left { get; }

    /// <summary>One past the last canvas column holding the image (border[3]).</summary>
    public int Right { get; }

    /// <summary>Output rows per input row, as the official float32 <c>ratios[0]</c>.</summary>
    public float HeightRatio => (float)((double)OutputHeight / InputHeight);

    /// <summary>Output columns per input column, as the official float32 <c>ratios[1]</c>.</summary>
    public float WidthRatio => (float)((double)OutputWidth / InputWidth);
}
