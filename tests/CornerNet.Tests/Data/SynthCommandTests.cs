using CornerNet.Cli;

namespace CornerNet.Tests.Data;

public class SynthCommandTests
{
    [Fact]
    public void WritesTheDatasetAndExitsZero()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"synth-cli-{Guid.NewGuid():N}");
        try
        {
            int code = Program.Main(["synth", "--out", dir, "--images", "3", "--seed", "2", "--size", "48"]);
            Assert.Equal(0, code);
            Assert.True(File.Exists(Path.Combine(dir, "annotations.json")));
            Assert.Equal(3, Directory.GetFiles(Path.Combine(dir, "images"), "*.png").Length);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--images", "0")]
    [InlineData("--size", "16")]
    public void BadNumbersExitWithTwoAndWriteNothing(string option, string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"synth-cli-{Guid.NewGuid():N}");
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            int code = Program.Main(["synth", "--out", dir, option, value]);
            Assert.Equal(2, code);
            Assert.StartsWith("cornernet: ", error.ToString());
            Assert.Contains(option, error.ToString());
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            Console.SetError(previous);
        }
    }
}
