using System.Runtime.CompilerServices;
using System.IO.Compression;
using System.Text.Json;

namespace CornerNet.Data;

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
        // Utf8JsonReader checks UTF-8 only when a string is read, and then fails without a position.
        InputFile.RequireUtf8(_bytes.AsSpan(_start, _length - _start), _start, path);
    }

    /// <summary>Length of the JSON text in bytes.</summary>
    public int Length => _length - _start;

    public Utf8JsonReader Start() =>
        new(_bytes.AsSpan(_start, _length - _start), new JsonReaderOptions { MaxDepth = 256 });

    static (byte[] Bytes, int Length) Load(string path, InputLimits limits)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new InvalidInputException(path, "file not found");
        long limit = Math.Min(limits.MaxJsonBytes, Array.MaxLength);
        byte[] raw;
        try
        {
            // Counted on the bytes read: a file that grows while read is capped too.
            raw = InputFile.ReadAllBytes(path, limit, "InputLimits.MaxJsonBytes");
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

    /// <summary>Starts a record at the current token, which must open an object; <paramref name="collection"/> is null
    /// for a top-level array.</summary>
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
