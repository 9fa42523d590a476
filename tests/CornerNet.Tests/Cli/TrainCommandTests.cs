using CornerNet.Data;

namespace CornerNet.Tests.Cli;

public class TrainCommandTests
{
    [Fact]
    public void TrainWithValidationReportsLossAndCocoAP()
    {
        string root = Directory.CreateTempSubdirectory("cornernet-train-cli").FullName;
        try
        {
            var generator = new SyntheticShapes(size: 96, maxObjects: 2);
            SyntheticShapesDataset.Write(Path.Combine(root, "train"), images: 4, seed: 1, generator);
            SyntheticShapesDataset.Write(Path.Combine(root, "val"), images: 2, seed: 2, generator);
            string run = Path.Combine(root, "run");
            var (code, output, error) = CliRunner.Run("train", "--data", Path.Combine(root, "train"), "--val-data", Path.Combine(root, "val"),
                "--preset", "tiny", "--iterations", "2", "--batch-size", "2", "--workers", "1", "--out", run);
            Assert.True(code == 0, error);
            Assert.Matches(@"validation at 2: loss \d+\.\d+, AP -?\d+\.\d+", output);
            Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
        }
        finally { Directory.Delete(root, true); }
    }
}
