namespace CornerNet.Tests.Cli;

/// <summary>
/// Issue 27: options that conflict or mean nothing where they are given are one-line errors (exit 2) before any work,
/// never silently ignored.
/// </summary>
public sealed class OptionConflictTests : IDisposable
{
    readonly ScratchFolder _scratch = new();

    public OptionConflictTests() => _scratch.MakeModelAndData();

    public void Dispose() => _scratch.Dispose();

    string P(params string[] parts) => _scratch.P(parts);

    [Theory]
    [InlineData("--annotations")]
    [InlineData("--images")]
    public void TrainRefusesDataTogetherWithAnnotationsOrImages(string option)
    {
        string value = option == "--annotations" ? P("data", "annotations.json") : P("data", "images");
        string error = _scratch.AssertRefused("--data", "train", "--data", P("data"), option, value, "--iterations",
            "1", "--out", P("run"));
        Assert.Contains(option, error);
        Assert.False(Directory.Exists(P("run")));
    }

    [Fact]
    public void DetectRefusesEveryOnImages()
    {
        string image = P("data", "images", "000001.png");
        string error = _scratch.AssertRefused("--every", "detect", P("model.safetensors"), image, "--every", "2",
            "--json", P("dets.json"));
        Assert.Contains("video", error);
    }

    [Fact]
    public void QuantizeRefusesAnUnknownKeepFloatNameAndListsTheValidOnes()
    {
        string error = _scratch.AssertRefused("--keep-float", "quantize", P("model.safetensors"),
            "--calibration", P("data", "images"), "--out", P("model.int8.onnx"), "--images", "1", "--keep-float", "heads", "no_such_layer", "--threads", "1");
        Assert.Contains("no_such_layer", error);
        Assert.Contains("first, heads, none", error);
        Assert.Contains("tl_cnvs", error);
    }

    [Theory]
    [InlineData("100000x100000")]
    [InlineData("511x40000")]
    public void ExportRefusesAFixedSizeBeyondTheInputLimits(string size)
    {
        string error = _scratch.AssertRefused("--size", "export", P("model.safetensors"), "--out", P("model.onnx"),
            "--size", size);
        Assert.Contains("32768", error);
    }

    [Fact]
    public void ExportRefusesMaxSizeWithoutDynamicSize()
    {
        _scratch.AssertRefused("--max-size", "export", P("model.safetensors"), "--out", P("model.onnx"),
            "--max-size", "1023");
        _scratch.AssertRefused("--max-size", "export", P("model.safetensors"), "--out", P("model.onnx"),
            "--dynamic-size", "--max-size", "65536");
    }
}
