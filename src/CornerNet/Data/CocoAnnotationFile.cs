using System.Runtime.CompilerServices;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace CornerNet.Data;

/// <summary>A COCO box: top-left corner and size, in pixels (<c>bbox: [x, y, w, h]</c>).</summary>
public readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    /// <summary>Width times height (what pycocotools uses as a detection's area).</summary>
    public double Area => Width * Height;
}

/// <summary>One entry of a COCO file's <c>images</c>.</summary>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);

/// <summary>One entry of a COCO file's <c>annotations</c> (a ground-truth box).</summary>
/// <param name="Id">The annotation id.</param>
/// <param name="ImageId">The image it belongs to (an id in <c>images</c>).</param>
/// <param name="CategoryId">Its class (an id in <c>categories</c>).</param>
/// <param name="Box">The box.</param>
/// <param name="Area">The file's <c>area</c> field (in COCO the mask area, not the box area; COCO evaluation uses it for the area ranges).</param>
/// <param name="IsCrowd">The <c>iscrowd</c> flag (false when the key is absent, as pycocotools).</param>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, CocoBox Box, double Area, bool IsCrowd);

/// <summary>One entry of a COCO file's <c>categories</c>.</summary>
/// <param name="Id">The category id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Supercategory">Its supercategory, or null when the file has none.</param>
public sealed record CocoCategory(long Id, string Name, string? Supercategory);

/// <summary>
/// A COCO instances file (<c>images</c>, <c>annotations</c>, <c>categories</c>), read from <c>.json</c> or gzip-compressed
/// JSON and strictly validated: every problem is an <see cref="InvalidInputException"/> whose one-line message names the
/// file and the record, e.g. <c>gt.json: annotations[17] (id 123): image_id 99 is not in images</c>. Other top-level
/// keys and other record fields (info, licenses, segmentation, …) are ignored.
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
    /// Validates and wraps records (also used for ground truth built in memory). Throws <see cref="InvalidInputException"/>
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

    /// <summary>Why <paramref name="box"/> is unusable (non-finite, or negative width/height), or null when it is fine.</summary>
    internal static string? BoxProblem(CocoBox box)
    {
        if (!double.IsFinite(box.X) || !double.IsFinite(box.Y) || !double.IsFinite(box.Width) || !double.IsFinite(box.Height))
            return $"bbox [{Format(box.X)}, {Format(box.Y)}, {Format(box.Width)}, {Format(box.Height)}] is not finite";
        if (box.Width < 0 || box.Height < 0)
            return $"bbox [{Format(box.X)}, {Format(box.Y)}, {Format(box.Width)}, {Format(box.Height)}] has a negative size";
        return null;
    }

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads and validates a COCO instances file (<c>.json</c>, or gzip-compressed, recognised by its content).</summary>
    /// <remarks>The decompressed size is bounded by <paramref name="limits"/> (default <see cref="InputLimits.Default"/>).</remarks>
    public static CocoAnnotationFile Read(string path, InputLimits? limits = null)
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

/// <summary>
/// Shared reading of COCO JSON files (ground truth and results): loads the bytes (gunzipping when the content is
/// gzip), and reads typed record fields, turning every problem into a one-line <see cref="InvalidInputException"/>
/// that names the file and the record.
/// </summary>
internal sealed class CocoJsonReader
{
    readonly byte[] _bytes;
    readonly int _length;
    readonly int _start;

    public string Path { get; }

    public CocoJsonReader(string path, InputLimits? limits)
    {
        Path = path;
        (_bytes, _length) = Load(path, limits ?? InputLimits.Default);
        // Utf8JsonReader does not accept a byte-order mark.
        _start = _length >= 3 && _bytes[0] == 0xEF && _bytes[1] == 0xBB && _bytes[2] == 0xBF ? 3 : 0;
    }

    /// <summary>Length of the JSON text in bytes.</summary>
    public int Length => _length - _start;

    public Utf8JsonReader Start() =>
        new(_bytes.AsSpan(_start, _length - _start), new JsonReaderOptions { MaxDepth = 256 });

    static (byte[] Bytes, int Length) Load(string path, InputLimits limits)
    {
        if (!File.Exists(path)) throw new InvalidInputException(path, "file not found");
        long limit = Math.Min(limits.MaxJsonBytes, Array.MaxLength);
        byte[] raw;
        try
        {
            long size = new FileInfo(path).Length;
            if (size > limit) throw TooLarge(path, $"{size} bytes", limit);
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException(path, $"cannot read: {e.Message}", e);
        }
        if (raw.Length < 2 || raw[0] != 0x1F || raw[1] != 0x8B) return (raw, raw.Length);
        try
        {
            // The gzip trailer holds the uncompressed size modulo 2^32: a good first capacity, within reason (JSON
            // compresses about tenfold; a corrupt trailer must not allocate gigabytes).
            long trailer = raw.Length >= 18 ? BitConverter.ToUInt32(raw, raw.Length - 4) : 0;
            int guess = (int)Math.Min(Math.Min(trailer, raw.Length * 64L), limit);
            using var output = new MemoryStream(Math.Max(guess, raw.Length));
            using (var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress))
            {
                // Inflate in chunks and stop at the limit: a small file can expand to gigabytes (a "gzip bomb").
                var chunk = new byte[1 << 16];
                int read;
                while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
                {
                    if (output.Length + read > limit) throw TooLarge(path, $"more than {limit} bytes once decompressed", limit);
                    // Grow by doubling, but never past the limit (MemoryStream alone would double to twice the limit).
                    if (output.Length + read > output.Capacity)
                        output.Capacity = (int)Math.Min(limit, Math.Max(2L * output.Capacity, output.Length + read));
                    output.Write(chunk, 0, read);
                }
            }
            return (output.GetBuffer(), (int)output.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException(path, $"corrupt gzip data: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new InvalidInputException(path, $"cannot decompress: {e.Message}", e);
        }
    }

    static InvalidInputException TooLarge(string path, string size, long limit) =>
        new(path, $"JSON is {size}, above the limit of {limit} bytes (InputLimits.MaxJsonBytes)");

    /// <summary>After the top-level value: only whitespace may follow (reading on throws for anything else).</summary>
    public void EndOfValue(ref Utf8JsonReader reader)
    {
        if (reader.Read()) throw new InvalidInputException(Path, "unexpected content after the JSON value");
    }

    public InvalidInputException Malformed(JsonException e)
    {
        string reason = e.Message;
        int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) reason = reason[..cut];
        return new InvalidInputException(Path,
            $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {reason.TrimEnd('.')}", e);
    }

    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>Starts a record at the current token, which must open an object; <paramref name="collection"/> is null for a top-level array.</summary>
    public Record BeginRecord(ref Utf8JsonReader reader, string? collection, int index)
    {
        var record = new Record(this, collection, index);
        if (reader.TokenType != JsonTokenType.StartObject) record.Fail(null, $"expected an object, got {Describe(reader.TokenType)}");
        return record;
    }

    /// <summary>
    /// Field reading for one record. Type problems are kept until the record's end so the message can give the record's
    /// id, wherever the id sits in the object.
    /// </summary>
    public struct Record(CocoJsonReader json, string? collection, int index)
    {
        string? _problem;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public long? Integer(ref Utf8JsonReader reader, string key)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (reader.TryGetInt64(out long value)) return value;
                // Accept integral numbers written as floats (e.g. 17.0), as Python does.
                if (reader.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9.0e15) return (long)d;
                _problem ??= $"{key} must be an integer, got {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}";
                return null;
            }
            Wrong(ref reader, key, "an integer");
            return null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double? Number(ref Utf8JsonReader reader, string key)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (reader.TryGetDouble(out double value) && double.IsFinite(value)) return value;
                _problem ??= $"{key} is not a finite number";
                return null;
            }
            Wrong(ref reader, key, "a number");
            return null;
        }

        /// <summary>A 0/1 flag written as a number or a boolean.</summary>
        public long? Flag(ref Utf8JsonReader reader, string key)
        {
            reader.Read();
            if (reader.TokenType is JsonTokenType.True or JsonTokenType.False) return reader.TokenType == JsonTokenType.True ? 1 : 0;
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) && value is 0 or 1) return value;
            Wrong(ref reader, key, "0 or 1");
            return null;
        }

        public string? String(ref Utf8JsonReader reader, string key)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String) return reader.GetString();
            Wrong(ref reader, key, "a string");
            return null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public CocoBox? Box(ref Utf8JsonReader reader, string key)
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                Wrong(ref reader, key, "an array [x, y, w, h]");
                return null;
            }
            Span<double> v = stackalloc double[4];
            int count = 0;
            bool numbers = true;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double d))
                {
                    if (count < 4) v[count] = d;
                }
                else
                {
                    numbers = false;
                    reader.Skip();
                }
                count++;
            }
            if (!numbers || count != 4)
            {
                _problem ??= $"{key} must be 4 numbers [x, y, w, h]";
                return null;
            }
            return new CocoBox(v[0], v[1], v[2], v[3]);
        }

        public void SkipValue(ref Utf8JsonReader reader)
        {
            reader.Read();
            reader.Skip();
        }

        void Wrong(ref Utf8JsonReader reader, string key, string expected)
        {
            _problem ??= $"{key} must be {expected}, got {Describe(reader.TokenType)}";
            reader.Skip();
        }

        /// <summary>At the record's closing brace: throws the first type problem or the first missing key.</summary>
        public readonly void End(long? id, params ReadOnlySpan<(string Key, object? Value)> required)
        {
            if (_problem != null) Fail(id, _problem);
            foreach (var (key, value) in required)
                if (value is null) Fail(id, $"missing key '{key}'");
        }

        public readonly void Fail(long? id, string problem)
        {
            string where = collection is null ? $"[{index}]" : $"{collection}[{index}]";
            if (id.HasValue) where += $" (id {id.Value})";
            throw new InvalidInputException(json.Path, $"{where}: {problem}");
        }
    }
}
