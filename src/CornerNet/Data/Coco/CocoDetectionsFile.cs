using System.Runtime.CompilerServices;
using System.IO.Compression;
using System.Text.Json;

namespace CornerNet.Data;

/// <summary>
/// A COCO results (detections) file: a JSON array of <see cref="CocoDetection"/> records, read from <c>.json</c> or
/// gzip-compressed JSON and validated (every record needs image_id, category_id, a finite bbox with width and
/// height &gt;= 0 and a finite score; other fields are ignored). Problems are one-line
/// <see cref="InvalidInputException"/>s naming the file and the record's index, e.g. <c>dets.json: [17]: missing key
/// 'score'</c>.
/// </summary>
public sealed class CocoDetectionsFile
{
    /// <summary>The file this came from (used in error messages).</summary>
    public string Path { get; }

    /// <summary>Detections in file order.</summary>
    public IReadOnlyList<CocoDetection> Detections { get; }

    CocoDetectionsFile(string path, List<CocoDetection> detections)
    {
        Path = path;
        Detections = detections;
    }

    /// <summary>Reads and validates a COCO results file (<c>.json</c>, or gzip-compressed, recognised by its
    /// content).</summary>
    /// <remarks>The decompressed size is bounded by <paramref name="limits"/> (default
    /// <see cref="InputLimits.Default"/>).</remarks>
    public static CocoDetectionsFile Read(string path, InputLimits? limits = null) =>
        InputFile.Reading(path, () => ReadWithin(path, limits));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static CocoDetectionsFile ReadWithin(string path, InputLimits? limits)
    {
        var json = new CocoJsonReader(path, limits);
        var reader = json.Start();
        // A record takes about 90 bytes of JSON: size the list once instead of growing it.
        var detections = new List<CocoDetection>(json.Length / 90 + 16);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidInputException(path, "expected a JSON array of {image_id, category_id, bbox, score} records");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                detections.Add(ReadDetection(ref reader, json, detections.Count));
            json.EndOfValue(ref reader);
        }
        catch (JsonException e)
        {
            throw json.Malformed(e);
        }
        return new CocoDetectionsFile(path, detections);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static CocoDetection ReadDetection(ref Utf8JsonReader reader, CocoJsonReader json, int index)
    {
        var record = json.BeginRecord(ref reader, null, index);
        long? imageId = null, categoryId = null;
        CocoBox? box = null;
        double? score = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("image_id"u8)) imageId = record.Integer(ref reader, "image_id");
            else if (reader.ValueTextEquals("category_id"u8)) categoryId = record.Integer(ref reader, "category_id");
            else if (reader.ValueTextEquals("bbox"u8)) box = record.Box(ref reader, "bbox");
            else if (reader.ValueTextEquals("score"u8)) score = record.Number(ref reader, "score");
            else record.SkipValue(ref reader);
        }
        record.End(null);
        if (imageId is null) record.Fail(null, "missing key 'image_id'");
        if (categoryId is null) record.Fail(null, "missing key 'category_id'");
        if (box is null) record.Fail(null, "missing key 'bbox'");
        if (score is null) record.Fail(null, "missing key 'score'");
        string? boxProblem = CocoAnnotationFile.BoxProblem(box!.Value);
        if (boxProblem != null) record.Fail(null, boxProblem);
        return new CocoDetection(imageId!.Value, categoryId!.Value, box.Value, score!.Value);
    }

    /// <summary>
    /// Writes <paramref name="detections"/> as a COCO results file (gzip-compressed when <paramref name="path"/> ends
    /// in
    /// <c>.gz</c>): to a temporary name first, then renamed, so readers never see a partial file. Numbers are written
    /// with the shortest text that reads back to the same double.
    /// </summary>
    /// <exception cref="ArgumentException">A detection has a non-finite box or score.</exception>
    public static void Write(string path, IEnumerable<CocoDetection> detections)
    {
        AtomicFile.Write(path, file =>
        {
            using (var output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                       ? new GZipStream(file, CompressionLevel.Optimal) : (Stream)file)
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartArray();
                int index = 0;
                foreach (var d in detections)
                {
                    if (CocoAnnotationFile.BoxProblem(d.Box) is { } problem)
                        throw new ArgumentException($"detection {index}: {problem}", nameof(detections));
                    if (!double.IsFinite(d.Score))
                        throw new ArgumentException($"detection {index}: score is not finite", nameof(detections));
                    writer.WriteStartObject();
                    writer.WriteNumber("image_id"u8, d.ImageId);
                    writer.WriteNumber("category_id"u8, d.CategoryId);
                    writer.WriteStartArray("bbox"u8);
                    writer.WriteNumberValue(d.Box.X);
                    writer.WriteNumberValue(d.Box.Y);
                    writer.WriteNumberValue(d.Box.Width);
                    writer.WriteNumberValue(d.Box.Height);
                    writer.WriteEndArray();
                    writer.WriteNumber("score"u8, d.Score);
                    writer.WriteEndObject();
                    index++;
                    // The writer buffers everything until flushed: keep memory flat for large files.
                    if (writer.BytesPending > 1 << 16) writer.Flush();
                }
                writer.WriteEndArray();
            }
        });
    }
}
