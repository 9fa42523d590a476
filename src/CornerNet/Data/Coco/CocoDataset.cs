
namespace CornerNet.Data;

/// <summary>
/// A COCO-format detection dataset for training and testing: an instances JSON plus a folder of images. Category ids
/// map to contiguous class indices in ascending id order (as the official CornerNet orders COCO's 80 classes); crowd
/// boxes get no training targets; boxes are turned from [x, y, w, h] into corners, clipped to the image, and dropped
/// when degenerate (both counted in <see cref="Warnings"/>). Images without annotations stay in as negatives.
/// </summary>
public sealed class CocoDataset : IDetectionSource
{
    readonly (Box[] Boxes, int[] Classes)[] _labels;

    /// <summary>The annotation file.</summary>
    public CocoAnnotationFile Annotations { get; }

    /// <summary>The folder that holds the images named by <c>file_name</c>.</summary>
    public string ImageDirectory { get; }

    /// <summary>The classes, index = class channel of the model.</summary>
    public IReadOnlyList<ClassInfo> Classes { get; }

    /// <summary>Data problems found while loading (clipped or dropped boxes), one line each, with counts.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <inheritdoc/>
    public int Count => Annotations.Images.Count;

    CocoDataset(CocoAnnotationFile annotations, string imageDirectory)
    {
        Annotations = annotations;
        ImageDirectory = imageDirectory;
        var categories = annotations.Categories.OrderBy(c => c.Id).ToArray();
        Classes = categories.Select(c => new ClassInfo(checked((int)c.Id), c.Name)).ToArray();
        var classIndex = categories.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var perImage = annotations.Images.Select((img, i) => (img.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var boxes = annotations.Images.Select(_ => new List<(Box, int)>()).ToArray();
        int clipped = 0, dropped = 0, crowd = 0;
        foreach (var a in annotations.Annotations)
        {
            if (a.IsCrowd) { crowd++; continue; }
            var image = annotations.ImageById[a.ImageId];
            double x1 = a.Box.X, y1 = a.Box.Y, x2 = a.Box.X + a.Box.Width, y2 = a.Box.Y + a.Box.Height;
            double cx1 = Math.Clamp(x1, 0, image.Width), cy1 = Math.Clamp(y1, 0, image.Height);
            double cx2 = Math.Clamp(x2, 0, image.Width), cy2 = Math.Clamp(y2, 0, image.Height);
            if (cx2 - cx1 <= 0 || cy2 - cy1 <= 0) { dropped++; continue; }
            if (cx1 != x1 || cy1 != y1 || cx2 != x2 || cy2 != y2) clipped++;
            boxes[perImage[a.ImageId]].Add((new Box((float)cx1, (float)cy1, (float)cx2, (float)cy2), classIndex[a.CategoryId]));
        }
        _labels = boxes.Select(list => (list.Select(b => b.Item1).ToArray(), list.Select(b => b.Item2).ToArray())).ToArray();
        var warnings = new List<string>();
        if (clipped > 0) warnings.Add($"{annotations.Path}: {clipped} box(es) extend outside their image and were clipped");
        if (dropped > 0) warnings.Add($"{annotations.Path}: {dropped} box(es) have no area inside their image and were dropped");
        if (crowd > 0) warnings.Add($"{annotations.Path}: {crowd} crowd box(es) get no training targets (as in the official code)");
        Warnings = warnings;
    }

    /// <summary>Reads <paramref name="annotationsPath"/> and checks that <paramref name="imageDirectory"/>
    /// exists.</summary>
    public static CocoDataset Open(string annotationsPath, string imageDirectory)
    {
        if (!Directory.Exists(imageDirectory)) throw new InvalidInputException(imageDirectory, "image folder not found");
        var annotations = CocoAnnotationFile.Read(annotationsPath);
        if (annotations.Categories.Count == 0) throw new InvalidInputException(annotationsPath, "no categories");
        return new CocoDataset(annotations, imageDirectory);
    }

    /// <summary>
    /// Checks that every image file exists and that its header decodes within <paramref name="limits"/> (headers only:
    /// fast enough to run before a long job). Returns the problems, one per bad image, with its index;
    /// <paramref name="progress"/> receives the number of images checked so far.
    /// </summary>
    public IReadOnlyList<(int Index, InvalidInputException Problem)> CheckImages(InputLimits? limits = null, IProgress<int>? progress = null)
    {
        var problems = new List<(int, InvalidInputException)>();
        for (int i = 0; i < Count; i++)
        {
            try
            {
                ImageDecoder.ReadHeader(ImagePath(i), limits);
            }
            catch (InvalidInputException e)
            {
                problems.Add((i, e));
            }
            progress?.Report(i + 1);
        }
        return problems;
    }

    /// <summary>
    /// This dataset without the images at <paramref name="indices"/> and their annotations (e.g. images that cannot be
    /// read, so that they are neither detected nor counted as missed).
    /// </summary>
    public CocoDataset Without(IReadOnlyCollection<int> indices)
    {
        if (indices.Count == 0) return this;
        var removed = indices.Select(i => Annotations.Images[i].Id).ToHashSet();
        var file = new CocoAnnotationFile(Annotations.Path,
            Annotations.Images.Where(img => !removed.Contains(img.Id)).ToArray(),
            Annotations.Annotations.Where(a => !removed.Contains(a.ImageId)).ToArray(),
            Annotations.Categories);
        return new CocoDataset(file, ImageDirectory);
    }

    /// <summary>Full path of image <paramref name="index"/>.</summary>
    public string ImagePath(int index) => Path.Combine(ImageDirectory, Annotations.Images[index].FileName);

    /// <inheritdoc/>
    public LabeledImage Load(int index)
    {
        var image = ImageDecoder.Decode(ImagePath(index));
        var (boxes, classes) = _labels[index];
        var info = Annotations.Images[index];
        if (image.Width != info.Width || image.Height != info.Height)
        {
            // Annotations are in the stated image size; rescale if the file on disk differs (e.g. a resized copy).
            float sx = image.Width / (float)info.Width, sy = image.Height / (float)info.Height;
            boxes = boxes.Select(b => b.Scale(sx, sy)).ToArray();
        }
        return new LabeledImage(image, boxes, classes);
    }
}
