using System.Text.Json;
using CornerNet.Data;

namespace CornerNet.Tests.Data;

public class SyntheticShapesTests
{
    [Fact]
    public void SameSeedAndIndexGiveTheSameImageAndObjects()
    {
        var generator = new SyntheticShapes(96);
        var a = generator.Generate(4, 2);
        var b = generator.Generate(4, 2);
        var c = generator.Generate(5, 2);
        Assert.Equal(a.Image.Pixels, b.Image.Pixels);
        Assert.Equal(a.Objects, b.Objects);
        Assert.NotEqual(a.Image.Pixels, c.Image.Pixels);
    }

    [Fact]
    public void BoxesAreTheTightExtentOfEachObjectsVisiblePixels()
    {
        var generator = new SyntheticShapes(128);
        for (int index = 0; index < 12; index++)
        {
            var sample = generator.Generate(1, index);
            Assert.InRange(sample.Objects.Length, 1, generator.MaxObjects);
            for (int k = 0; k < sample.Objects.Length; k++)
            {
                int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1, count = 0;
                for (int p = 0; p < sample.Owner.Length; p++)
                {
                    if (sample.Owner[p] != k) continue;
                    int x = p % 128, y = p / 128;
                    x1 = Math.Min(x1, x); y1 = Math.Min(y1, y); x2 = Math.Max(x2, x); y2 = Math.Max(y2, y);
                    count++;
                }
                var o = sample.Objects[k];
                Assert.Equal(new Box(x1, y1, x2 + 1, y2 + 1), o.Box);
                Assert.Equal(count, o.VisiblePixels);
            }
        }
    }

    [Fact]
    public void EachObjectsPixelsShareOneFillColour()
    {
        var generator = new SyntheticShapes(128);
        var sample = generator.Generate(2, 0);
        Assert.NotEmpty(sample.Objects);
        // Each object's pixels carry its one fill colour (with some texture and noise), so they are nearly uniform.
        for (int k = 0; k < sample.Objects.Length; k++)
        {
            var values = Enumerable.Range(0, sample.Owner.Length).Where(p => sample.Owner[p] == k)
                .Select(p => (double)sample.Image.Pixels[p * 3 + 1]).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            Assert.True(std < 40, $"object {k}: green std {std}");
        }
    }

    [Fact]
    public void DatasetHasValidCocoAnnotationsAndIsByteIdenticalPerSeed()
    {
        string a = Directory.CreateTempSubdirectory("synth-a-").FullName, b = Directory.CreateTempSubdirectory("synth-b-").FullName;
        try
        {
            var generator = new SyntheticShapes(64);
            var summary = SyntheticShapesDataset.Write(a, 5, 7, generator);
            SyntheticShapesDataset.Write(b, 5, 7, generator);
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, "annotations.json")), File.ReadAllBytes(Path.Combine(b, "annotations.json")));
            foreach (var file in Directory.GetFiles(Path.Combine(a, "images")))
                Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(b, "images", Path.GetFileName(file))));

            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, "annotations.json")));
            var root = json.RootElement;
            var categories = root.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("id").GetInt32()).ToArray();
            Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, categories);
            var images = root.GetProperty("images").EnumerateArray().ToArray();
            Assert.Equal(5, images.Length);
            foreach (var image in images)
            {
                Assert.True(image.GetProperty("id").GetInt32() >= 1);
                Assert.Equal(64, image.GetProperty("width").GetInt32());
                string path = Path.Combine(a, "images", image.GetProperty("file_name").GetString()!);
                var decoded = ImageDecoder.Decode(path);
                Assert.Equal((64, 64), (decoded.Width, decoded.Height));
            }
            var imageIds = images.Select(i => i.GetProperty("id").GetInt32()).ToHashSet();
            var annotations = root.GetProperty("annotations").EnumerateArray().ToArray();
            Assert.Equal(summary.Objects, annotations.Length);
            Assert.Equal(annotations.Length, annotations.Select(x => x.GetProperty("id").GetInt32()).Distinct().Count());
            foreach (var ann in annotations)
            {
                Assert.True(ann.GetProperty("id").GetInt32() >= 1);
                Assert.Contains(ann.GetProperty("image_id").GetInt32(), imageIds);
                Assert.Contains(ann.GetProperty("category_id").GetInt32(), categories);
                Assert.Equal(0, ann.GetProperty("iscrowd").GetInt32());
                var bbox = ann.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(4, bbox.Length);
                Assert.True(bbox[0] >= 0 && bbox[1] >= 0 && bbox[2] > 0 && bbox[3] > 0);
                Assert.True(bbox[0] + bbox[2] <= 64 && bbox[1] + bbox[3] <= 64);
                Assert.InRange(ann.GetProperty("area").GetDouble(), 1, bbox[2] * bbox[3]);
            }
            Assert.Empty(Directory.GetFiles(a, "*.tmp-*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }
}
