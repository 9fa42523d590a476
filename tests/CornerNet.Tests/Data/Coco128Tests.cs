using CornerNet.Data;

namespace CornerNet.Tests.Data;

public class Coco128Tests
{
    /// <summary>The counts of ../shared/data/coco128/README.md: images, boxes, classes present, images without boxes.</summary>
    [FixtureTheory]
    [InlineData("train2017", 128, 929, 71, 2)]
    [InlineData("val2017", 128, 898, 73, 0)]
    public void OpenReportsTheReadmesCounts(string split, int images, int boxes, int classesPresent, int withoutBoxes)
    {
        var dataset = CocoDataset.Open(Path.Combine(Fixtures.Coco128, "annotations", $"instances_{split}.json"),
            Path.Combine(Fixtures.Coco128, "images", split));
        Assert.Equal(images, dataset.Count);
        Assert.Equal(80, dataset.Classes.Count);
        Assert.Empty(dataset.Warnings);
        var perImage = Enumerable.Range(0, dataset.Count).Select(i => dataset.Load(i)).ToArray();
        Assert.Equal(boxes, perImage.Sum(s => s.Boxes.Length));
        Assert.Equal(classesPresent, perImage.SelectMany(s => s.Classes).Distinct().Count());
        Assert.Equal(withoutBoxes, perImage.Count(s => s.Boxes.Length == 0));
    }
}
