using CornerNet.Inference;

namespace CornerNet.Tests.Inference;

public class DetectedObjectTests
{
    [Fact]
    public void ToCocoGivesCornerWidthAndHeightForTheImage()
    {
        var detection = new DetectedObject(2, 7, "ring", 0.75f, 10f, 20f, 40f, 35f).ToCoco(42);
        Assert.Equal(42, detection.ImageId);
        Assert.Equal(7, detection.CategoryId);
        Assert.Equal(new CornerNet.Data.CocoBox(10, 20, 30, 15), detection.Box);
        Assert.Equal(0.75, detection.Score);
    }
}
