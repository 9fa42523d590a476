using System.IO.Compression;
using System.Text;
using CornerNet.Data;

namespace CornerNet.Tests.Data;

/// <summary>Reading and validating COCO instances files and COCO results files.</summary>
public sealed class CocoAnnotationFileTests : IDisposable
{
    const string Valid = """
        {"info": {"x": [1, {"y": null}]},
         "images": [{"id": 7, "file_name": "a.jpg", "width": 640, "height": 480, "license": 3},
                    {"id": 9, "file_name": "b.jpg", "width": 10, "height": 20}],
         "annotations": [{"id": 1, "image_id": 7, "category_id": 2, "bbox": [1.5, 2, 30.25, 40], "area": 1000.5, "iscrowd": 0,
                          "segmentation": [[1, 2, 3, 4]]},
                         {"id": 2, "image_id": 9, "category_id": 5, "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 1},
                         {"image_id": 9, "id": 3, "category_id": 5, "bbox": [1, 1, 0, 0], "area": 0}],
         "categories": [{"id": 2, "name": "cat", "supercategory": "animal"}, {"id": 5, "name": "car"}]}
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("coco-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        if (name.EndsWith(".gz"))
        {
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            gzip.Write(Encoding.UTF8.GetBytes(content));
        }
        else File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void ReadsTypedRecordsInFileOrder()
    {
        var file = CocoAnnotationFile.Read(Write("gt.json", Valid));
        Assert.Equal([new CocoImage(7, "a.jpg", 640, 480), new CocoImage(9, "b.jpg", 10, 20)], file.Images);
        Assert.Equal(new CocoAnnotation(1, 7, 2, new CocoBox(1.5, 2, 30.25, 40), 1000.5, false), file.Annotations[0]);
        Assert.True(file.Annotations[1].IsCrowd);
        Assert.Equal(3, file.Annotations[2].Id);
        Assert.False(file.Annotations[2].IsCrowd);
        Assert.Equal([new CocoCategory(2, "cat", "animal"), new CocoCategory(5, "car", null)], file.Categories);
        Assert.Equal("b.jpg", file.ImageById[9].FileName);
        Assert.Equal("car", file.CategoryById[5].Name);
    }

    [Fact]
    public void ReadsGzipTransparently()
    {
        var plain = CocoAnnotationFile.Read(Write("gt.json", Valid));
        var gzipped = CocoAnnotationFile.Read(Write("gt.json.gz", Valid));
        Assert.Equal(plain.Images, gzipped.Images);
        Assert.Equal(plain.Annotations, gzipped.Annotations);
        Assert.Equal(plain.Categories, gzipped.Categories);
    }

    [FixtureFact]
    public void ReadsCoco128ValidationAnnotations()
    {
        var file = CocoAnnotationFile.Read(Path.Combine(Fixtures.CocoEval, "perfect", "gt.json"));
        Assert.Equal(128, file.Images.Count);
        Assert.Equal(898, file.Annotations.Count);
        Assert.Equal(80, file.Categories.Count);
        Assert.Equal(new CocoImage(139, "000000000139.jpg", 640, 426), file.Images[0]);
        Assert.Equal(new CocoAnnotation(1, 139, 64, new CocoBox(236.98, 142.51, 24.7, 69.5), 1716.65, false), file.Annotations[0]);
        Assert.Equal(new CocoCategory(1, "person", "person"), file.Categories[0]);
    }

    [Theory]
    [InlineData("{\"images\": [", "not valid JSON at line 1")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"images\": [], \"annotations\": [], \"categories\": []} x", "not valid JSON at line 1")]
    [InlineData("{\"images\": [], \"categories\": []}", "missing key 'annotations'")]
    [InlineData("{\"images\": {}, \"annotations\": [], \"categories\": []}", "'images' must be an array, got an object")]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 5}], \"annotations\": [], \"categories\": []}",
        "images[0] (id 1): missing key 'height'")]
    [InlineData("{\"images\": [{\"file_name\": \"a\", \"width\": \"5\", \"height\": 5, \"id\": 4}], \"annotations\": [], \"categories\": []}",
        "images[0] (id 4): width must be an integer, got a string")]
    [InlineData("{\"images\": [{\"id\": 1.5, \"file_name\": \"a\", \"width\": 5, \"height\": 5}], \"annotations\": [], \"categories\": []}",
        "images[0]: id must be an integer, got 1.5")]
    [InlineData("{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 5, \"height\": 0}], \"annotations\": [], \"categories\": []}",
        "images[0] (id 1): size 5x0 is not positive")]
    [InlineData("{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}, {\"id\": 1, \"name\": \"b\"}]}",
        "categories[1] (id 1): duplicate category id")]
    [InlineData("{\"images\": [], \"annotations\": [], \"categories\": [7]}", "categories[0]: expected an object, got a number")]
    public void BadFilesGiveOneLineNamingFileAndRecord(string content, string expected)
    {
        string path = Write("bad.json", content);
        var e = Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("\"image_id\": 99, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": 1", "annotations[1] (id 123): image_id 99 is not in images")]
    [InlineData("\"image_id\": 1, \"category_id\": 4, \"bbox\": [0, 0, 1, 1], \"area\": 1", "annotations[1] (id 123): category_id 4 is not in categories")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, -1, 1], \"area\": 1", "annotations[1] (id 123): bbox [0, 0, -1, 1] has a negative size")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1], \"area\": 1", "annotations[1] (id 123): bbox must be 4 numbers")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1e999, 1], \"area\": 1", "annotations[1] (id 123): bbox [0, 0, Infinity, 1] is not finite")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": -2", "annotations[1] (id 123): area -2 is not a finite number >= 0")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1]", "annotations[1] (id 123): missing key 'area'")]
    [InlineData("\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": 1, \"iscrowd\": 2", "annotations[1] (id 123): iscrowd must be 0 or 1, got a number")]
    public void BadAnnotationsAreNamedByIndexAndId(string fields, string expected)
    {
        string content = "{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 5, \"height\": 5}], " +
                         "\"categories\": [{\"id\": 1, \"name\": \"a\"}], \"annotations\": [" +
                         "{\"id\": 5, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"area\": 1}, " +
                         "{\"id\": 123, " + fields + "}]}";
        string path = Write("gt.json", content);
        var e = Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(path));
        Assert.StartsWith($"{path}: {expected}", e.Message);
    }

    [Fact]
    public void DuplicateAnnotationIdIsAnError()
    {
        var e = Assert.Throws<InvalidInputException>(() => new CocoAnnotationFile("gt.json",
            [new CocoImage(1, "a.jpg", 5, 5)],
            [new CocoAnnotation(4, 1, 1, new CocoBox(0, 0, 1, 1), 1, false), new CocoAnnotation(4, 1, 1, new CocoBox(0, 0, 2, 2), 4, false)],
            [new CocoCategory(1, "a", null)]));
        Assert.Equal("gt.json: annotations[1] (id 4): duplicate annotation id", e.Message);
    }

    [Fact]
    public void CorruptGzipIsAnInputError()
    {
        string path = Write("gt.json.gz", Valid);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
    }

    [Fact]
    public void MissingFileIsAnInputError()
    {
        string path = Path.Combine(_dir, "nope.json");
        var e = Assert.Throws<InvalidInputException>(() => CocoAnnotationFile.Read(path));
        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Theory]
    [InlineData("dets.json")]
    [InlineData("dets.json.gz")]
    public void DetectionsRoundTripThroughWriteAndRead(string name)
    {
        var detections = new[]
        {
            new CocoDetection(7, 2, new CocoBox(1.5, 2.25, 30.1, 40), 0.9),
            new CocoDetection(9, 5, new CocoBox(0.1 + 0.2, -3, 0, 1e-7), 1.0 / 3),
        };
        string path = Path.Combine(_dir, name);
        CocoDetectionsFile.Write(path, detections);
        Assert.False(File.Exists(path + ".tmp-" + Environment.ProcessId));
        var read = CocoDetectionsFile.Read(path);
        Assert.Equal(path, read.Path);
        Assert.Equal(detections, read.Detections);
    }

    [Fact]
    public void DetectionsIgnoreExtraFields()
    {
        string path = Write("dets.json",
            "[{\"score\": 0.5, \"bbox\": [1, 2, 3, 4], \"id\": 4, \"area\": 99, \"category_id\": 3, \"image_id\": 2, \"extra\": {\"a\": [1]}}]");
        Assert.Equal([new CocoDetection(2, 3, new CocoBox(1, 2, 3, 4), 0.5)], CocoDetectionsFile.Read(path).Detections);
        Assert.Empty(CocoDetectionsFile.Read(Write("empty.json", " [ ] ")).Detections);
    }

    [Theory]
    [InlineData("{}", "expected a JSON array")]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1]}]", "[0]: missing key 'score'")]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 1}, {\"image_id\": 1, \"category_id\": \"x\", \"bbox\": [0, 0, 1, 1], \"score\": 1}]",
        "[1]: category_id must be an integer, got a string")]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, -1], \"score\": 1}]", "[0]: bbox [0, 0, 1, -1] has a negative size")]
    [InlineData("[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": NaN}]", "not valid JSON")]
    [InlineData("[1, 2]", "[0]: expected an object, got a number")]
    [InlineData("[] []", "not valid JSON")]
    public void BadDetectionsGiveOneLineNamingFileAndRecord(string content, string expected)
    {
        string path = Write("dets.json", content);
        var e = Assert.Throws<InvalidInputException>(() => CocoDetectionsFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
