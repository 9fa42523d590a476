using CornerNet.Cli;

namespace CornerNet.Tests.Cli;

public class InferenceIsaPolicyTests
{
    static bool MayLift(params string[] args) => InferenceIsaPolicy.MayLiftCap(Program.Build().Parse(args));

    [Theory]
    [InlineData("detect", "model.safetensors", "image.jpg")]
    [InlineData("forward", "--model", "m.safetensors", "--input", "i.safetensors", "--out", "o.safetensors")]
    [InlineData("evaluate", "--gt", "gt.json", "--dets", "dets.json")]
    [InlineData("bench", "--suite", "forward")]
    [InlineData("bench", "--suite", "decode")]
    [InlineData("bench")]
    [InlineData("export", "m.safetensors", "--out", "m.onnx")]
    public void InferenceCommandsLiftTheCap(params string[] args)
    {
        var parse = Program.Build().Parse(args);
        Assert.Empty(parse.Errors);
        Assert.True(InferenceIsaPolicy.MayLiftCap(parse));
    }

    [Fact]
    public void TrainingKeepsTheCap()
    {
        Assert.False(MayLift("train", "--data", "shapes", "--preset", "tiny"));
        Assert.False(MayLift("bench", "--suite", "train"));
        Assert.False(MayLift("quickstart"));
    }

    [Fact]
    public void UnknownOrBadCommandLinesKeepTheCap()
    {
        Assert.False(MayLift("synth"));
        Assert.False(MayLift("bench", "--suite", "everything"));
    }

    [Fact]
    public void MainCalledInProcessKeepsTheCap()
    {
        // The tests train in this process: Main must not lift the cap when it is not the process's entry point.
        var (code, _, error) = CliRunner.Run("bench", "--preset", "tiny", "--size", "127", "--runs", "1", "--warmup", "0", "--suite", "decode");
        Assert.True(code == 0, error);
        Assert.False(OneDnnIsaCap.IsLifted);
    }
}
