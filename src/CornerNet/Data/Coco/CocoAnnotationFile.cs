using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text.Json;

namespace CornerNet.Data;

/// <summary>
/// A COCO instances file (<c>images</c>, <c>annotations</c>, <c>categories</c>), read from <c>.json</c> or
/// gzip-compressed JSON and strictly validated: every problem is an <see cref="InvalidInputException"/> whose one-line
/// message names the file and the record, e.g. <c>gt.json: annotations[17] (id 123): image_id 99 is not in images</c>.
/// Other top-level keys and other record fields (info, licenses, segmentation, …) are ignored.
/// </summary>
public sealed class CocoAnnotationFile
{
    /// <summary>The file this came from (used in error messages).</summary>
    public string Path { get; }

    /// <summary>Images in file order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>Annotations in file order.</summary>
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    /// <summary>Categories in file order.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>Images by id.</summary>
    public IReadOnlyDictionary<long, CocoImage> ImageById { get; }

    /// <summary>Categories by id.</summary>
    public IReadOnlyDictionary<long, CocoCategory> CategoryById { get; }

    /// <summary>
    /// Validates and wraps records (also used for ground truth built in memory). Throws
    /// <see cref="InvalidInputException"/>
    /// naming <paramref name="path"/> and the record for duplicate ids, annotations of unknown images or categories,
    /// non-positive image sizes, and non-finite or negative box sizes or areas.
    /// </summary>
    public CocoAnnotationFile(string path, IReadOnlyList<CocoImage> images, IReadOnlyList<CocoAnnotation> annotations,
        IReadOnlyList<CocoCategory> categories)
    {
        Path = path;
        Images = images;
        Annotations = annotations;
        Categories = categories;

        var imageById = new Dictionary<long, CocoImage>(images.Count);
        for (int n = 0; n < images.Count; n++)
        {
            var image = images[n];
            string where = $"images[{n}] (id {image.Id})";
            if (!imageById.TryAdd(image.Id, image)) throw Problem(where, "duplicate image id");
            if (string.IsNullOrEmpty(image.FileName)) throw Problem(where, "file_name is empty");
            if (image.Width <= 0 || image.Height <= 0) throw Problem(where, $"size {image.Width}x{image.Height} is not positive");
        }

        var categoryById = new Dictionary<long, CocoCategory>(categories.Count);
        for (int n = 0; n < categories.Count; n++)
            if (!categoryById.TryAdd(categories[n].Id, categories[n]))
                throw Problem($"categories[{n}] (id {categories[n].Id})", "duplicate category id");

        var annotationIds = new HashSet<long>(annotations.Count);
        for (int n = 0; n < annotations.Count; n++)
        {
            var a = annotations[n];
            string where = $"annotations[{n}] (id {a.Id})";
            if (!annotationIds.Add(a.Id)) throw Problem(where, "duplicate annotation id");
            if (!imageById.ContainsKey(a.ImageId)) throw Problem(where, $"image_id {a.ImageId} is not in images");
            if (!categoryById.ContainsKey(a.CategoryId)) throw Problem(where, $"category_id {a.CategoryId} is not in categories");
            string? boxProblem = BoxProblem(a.Box);
            if (boxProblem != null) throw Problem(where, boxProblem);
            if (!double.IsFinite(a.Area) || a.Area < 0) throw Problem(where, $"area {Format(a.Area)} is not a finite number >= 0");
        }

        ImageById = imageById;
        CategoryById = categoryById;
    }

    InvalidInputException Problem(string where, string problem) => new(Path, $"{where}: {problem}");

    /// <summary>Why <paramref name="box"/> is unusable (non-finite, or negative width/height), or null when it is
    /// fine.</summary>
    internal static string? BoxProblem(CocoBox box)
    {
        if (!double.IsFinite(box.X) || !double.IsFinite(box.Y) || !double.IsFinite(box.Width) || !double.IsFinite(box.Height))
            return $"bbox [{Format(box.X)}, {Format(box.Y)}, {Format(box.Width)}, {Format(box.Height)}] is not finite";
        if (box.Width < 0 || box.Height < 0)
            return $"bbox [{Format(box.X)}, {Format(box.Y)}, {Format(box.Width)}, {Format(box.Height)}] has a negative size";
        return null;
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads and validates a COCO instances file (<c>.json</c>, or gzip-compressed, recognised by its
    /// content).</summary>
    /// <remarks>The decompressed size is bounded by <paramref name="limits"/> (default
    /// <see cref="InputLimits.Default"/>).</remarks>
    public static CocoAnnotationFile Read(string path, InputLimits? limits = null) =>
        InputFile.Reading(path, () => ReadWithin(path, limits));

    static CocoAnnotationFile ReadWithin(string path, InputLimits? limits)
    {
        var json = new CocoJsonReader(path, limits);
        var reader = json.Start();
        List<CocoImage>? images = null;
        List<CocoAnnotation>? annotations = null;
        List<CocoCategory>? categories = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new InvalidInputException(path, "expected a JSON object with images, annotations and categories");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("images"u8)) images = ReadArray(ref reader, json, "images", ReadImage);
                else if (reader.ValueTextEquals("annotations"u8)) annotations = ReadArray(ref reader, json, "annotations", ReadAnnotation);
                else if (reader.ValueTextEquals("categories"u8)) categories = ReadArray(ref reader, json, "categories", ReadCategory);
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            json.EndOfValue(ref reader);
        }
        catch (JsonException e)
        {
            throw json.Malformed(e);
        }
        if (images is null) throw new InvalidInputException(path, "missing key 'images'");
        if (annotations is null) throw new InvalidInputException(path, "missing key 'annotations'");
        if (categories is null) throw new InvalidInputException(path, "missing key 'categories'");
        return new CocoAnnotationFile(path, images, annotations, categories);
    }

    delegate T RecordReader<T>(ref Utf8JsonReader reader, CocoJsonReader json, string collection, int index);

    static List<T> ReadArray<T>(ref Utf8JsonReader reader, CocoJsonReader json, string collection, RecordReader<T> readRecord)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new InvalidInputException(json.Path, $"'{collection}' must be an array, got {CocoJsonReader.Describe(reader.TokenType)}");
        var list = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            list.Add(readRecord(ref reader, json, collection, list.Count));
        return list;
    }

    static CocoImage ReadImage(ref Utf8JsonReader reader, CocoJsonReader json, string collection, int index)
    {
        var record = json.BeginRecord(ref reader, collection, index);
        long? id = null, width = null, height = null;
        string? fileName = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = record.Integer(ref reader, "id");
            else if (reader.ValueTextEquals("file_name"u8)) fileName = record.String(ref reader, "file_name");
            else if (reader.ValueTextEquals("width"u8)) width = record.Integer(ref reader, "width");
            else if (reader.ValueTextEquals("height"u8)) height = record.Integer(ref reader, "height");
            else record.SkipValue(ref reader);
        }
        record.End(id, ("id", id), ("file_name", fileName), ("width", width), ("height", height));
        if (width > int.MaxValue || height > int.MaxValue) record.Fail(id, $"size {width}x{height} is too large");
        return new CocoImage(id!.Value, fileName!, (int)width!.Value, (int)height!.Value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static CocoAnnotation ReadAnnotation(ref Utf8JsonReader reader, CocoJsonReader json, string collection, int index)
    {
        var record = json.BeginRecord(ref reader, collection, index);
        long? id = null, imageId = null, categoryId = null, isCrowd = null;
        CocoBox? box = null;
        double? area = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = record.Integer(ref reader, "id");
            else if (reader.ValueTextEquals("image_id"u8)) imageId = record.Integer(ref reader, "image_id");
            else if (reader.ValueTextEquals("category_id"u8)) categoryId = record.Integer(ref reader, "category_id");
            else if (reader.ValueTextEquals("bbox"u8)) box = record.Box(ref reader, "bbox");
            else if (reader.ValueTextEquals("area"u8)) area = record.Number(ref reader, "area");
            else if (reader.ValueTextEquals("iscrowd"u8)) isCrowd = record.Flag(ref reader, "iscrowd");
            else record.SkipValue(ref reader);
        }
        record.End(id, ("id", id), ("image_id", imageId), ("category_id", categoryId), ("bbox", box), ("area", area));
        return new CocoAnnotation(id!.Value, imageId!.Value, categoryId!.Value, box!.Value, area!.Value, isCrowd == 1);
    }

    static CocoCategory ReadCategory(ref Utf8JsonReader reader, CocoJsonReader json, string collection, int index)
    {
        var record = json.BeginRecord(ref reader, collection, index);
        long? id = null;
        string? name = null, supercategory = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = record.Integer(ref reader, "id");
            else if (reader.ValueTextEquals("name"u8)) name = record.String(ref reader, "name");
            else if (reader.ValueTextEquals("supercategory"u8)) supercategory = record.String(ref reader, "supercategory");
            else record.SkipValue(ref reader);
        }
        record.End(id, ("id", id), ("name", name));
        return new CocoCategory(id!.Value, name!, supercategory);
    }
}
