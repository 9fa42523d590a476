using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Weights;

/// <summary>Name, dtype and shape of one tensor in a safetensors file, with its byte range in the data
/// section.</summary>
internal sealed record SafeTensorInfo(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{name: {dtype, shape, data_offsets}}</c> plus an optional <c>__metadata__</c> string map), then raw
/// little-endian tensor data. Every field of the header is validated before any data is read, so truncated or
/// hostile files fail with a <see cref="WeightFileException"/> instead of a crash or a huge allocation.
/// </summary>
internal sealed class SafeTensorsFile
{
    const long MaxHeaderBytes = 100L * 1024 * 1024;

    readonly Dictionary<string, SafeTensorInfo> _tensors;

    /// <summary>The file this was read from.</summary>
    public string Path { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    long DataStart { get; }

    SafeTensorsFile(string path, Dictionary<string, string> metadata, List<SafeTensorInfo> tensors, long dataStart)
    {
        Path = path;
        Metadata = metadata;
        Tensors = tensors;
        _tensors = tensors.ToDictionary(t => t.Name);
        DataStart = dataStart;
    }

    /// <summary>True when the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Header entry of <paramref name="name"/>; throws naming the file when absent.</summary>
    public SafeTensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out var info) ? info : throw new WeightFileException(Path, $"no tensor named '{name}'");

    /// <summary>Reads and validates the header of <paramref name="path"/> (the data is read lazily by
    /// <see cref="Load"/>).</summary>
    public static SafeTensorsFile Read(string path)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new WeightFileException(path, "file not found");
        using var stream = File.OpenRead(path);
        long fileLength = stream.Length;
        if (fileLength < 8) throw new WeightFileException(path, $"truncated: {fileLength} bytes, a safetensors file starts with an 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > (ulong)MaxHeaderBytes)
            throw new WeightFileException(path, $"header length {headerLength} is implausible (not a safetensors file?)");
        if ((long)headerLength > fileLength - 8)
            throw new WeightFileException(path, $"header length {headerLength} runs past the end of the file ({fileLength} bytes)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        // JsonDocument checks UTF-8 only lazily, when a string is read; check it up front so that a corrupt name
        // gives this file's error instead of an exception from deep inside the parser.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw new WeightFileException(path, "header is not valid UTF-8");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw new WeightFileException(path, $"header is not valid JSON ({e.Message.Split('\n')[0]})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new WeightFileException(path, "header is not a JSON object");
            var metadata = new Dictionary<string, string>();
            var tensors = new List<SafeTensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new WeightFileException(path, "__metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new WeightFileException(path, $"__metadata__ entry '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (!names.Add(property.Name)) throw new WeightFileException(path, $"tensor '{property.Name}' appears twice in the header");
                tensors.Add(ParseEntry(path, property, dataLength));
            }
            CheckNoOverlap(path, tensors);
            return new SafeTensorsFile(path, metadata, tensors, dataStart);
        }
    }

    static SafeTensorInfo ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new WeightFileException(path, $"tensor '{name}': entry is not an object");
        if (!v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new WeightFileException(path, $"tensor '{name}': missing dtype");
        var dtype = ParseDType(path, name, dtypeEl.GetString()!);
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new WeightFileException(path, $"tensor '{name}': missing shape");
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new WeightFileException(path, $"tensor '{name}': shape entries must be non-negative integers");
            shape.Add(dim);
            elements = dim == 0 ? 0 : (elements > long.MaxValue / Math.Max(dim, 1) ? throw new WeightFileException(path, $"tensor '{name}': shape is too large") : elements * dim);
        }
        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new WeightFileException(path, $"tensor '{name}': missing data_offsets [begin, end]");
        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number ||
            !offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new WeightFileException(path, $"tensor '{name}': data_offsets must be 0 ≤ begin ≤ end");
        if (end > dataLength)
            throw new WeightFileException(path, $"tensor '{name}': data_offsets end {end} is past the data section ({dataLength} bytes; truncated file?)");
        long expectedBytes = elements > long.MaxValue / ElementSize(dtype)
            ? throw new WeightFileException(path, $"tensor '{name}': shape is too large")
            : elements * ElementSize(dtype);
        if (end - begin != expectedBytes)
            throw new WeightFileException(path, $"tensor '{name}': {end - begin} bytes of data, but dtype and shape need {expectedBytes}");
        return new SafeTensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    static void CheckNoOverlap(string path, List<SafeTensorInfo> tensors)
    {
        var sorted = tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new WeightFileException(path, $"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data section");
    }

    static ScalarType ParseDType(string path, string name, string dtype) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new WeightFileException(path, $"tensor '{name}': unsupported dtype '{dtype}'"),
    };

    static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"dtype {dtype} cannot be stored in safetensors"),
    };

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new ArgumentException($"unsupported dtype {dtype}"),
    };

    /// <summary>Loads tensor <paramref name="name"/> as a new CPU tensor (the caller owns and disposes it).</summary>
    public Tensor Load(string name)
    {
        var info = Info(name);
        var tensor = empty(info.Shape, info.DType);
        long count = info.End - info.Begin;
        if (count == 0) return tensor;
        try
        {
            using var stream = File.OpenRead(Path);
            if (stream.Length < DataStart + info.End)
                throw new WeightFileException(Path, $"tensor '{name}': file shrank while reading (truncated?)");
            stream.Position = DataStart + info.Begin;
            // bytes gives a span over the tensor's own storage: one copy from disk, no intermediate array.
            stream.ReadExactly(tensor.bytes);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Loads every tensor, in header order (the caller owns and disposes them).</summary>
    public Dictionary<string, Tensor> LoadAll() => Tensors.ToDictionary(t => t.Name, t => Load(t.Name));

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device; contiguous copies are made on the CPU) and optional
    /// <paramref name="metadata"/> to <paramref name="path"/>, atomically: a temporary file is written and renamed, so
    /// an existing file is replaced only by a complete one. Keys are sorted as in the reference implementation.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = new SortedDictionary<string, string>(metadata.ToDictionary(), StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            long bytes = tensor.numel() * ElementSize(tensor.dtype);
            header[name] = new { dtype = DTypeName(tensor.dtype), shape = tensor.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in entries)
            {
                // Each intermediate wrapper is held until the next call returns: written as one chain, a temporary
                // could be finalized (its native handle deleted) while libtorch still reads it, as this often runs
                // outside any dispose scope (checkpoints during training).
                using var detached = tensor.detach();
                using var cpu = detached.cpu();
                using var contiguous = cpu.contiguous();
                stream.Write(contiguous.bytes);
            }
        });
    }
}
