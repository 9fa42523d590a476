using System.IO.Compression;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Weights;

/// <summary>
/// Reads the tensors of a PyTorch checkpoint (<c>torch.save</c> of a state dict) without Python, in both formats:
/// the zip format (PyTorch ≥ 1.6 default: <c>&lt;archive&gt;/data.pkl</c> plus one entry
/// <c>&lt;archive&gt;/data/&lt;key&gt;</c>
/// per storage) and the legacy format (<c>_use_new_zipfile_serialization=False</c>, and everything PyTorch 0.4–1.5
/// wrote, e.g. the official CornerNet weights): pickles of the magic number, protocol version 1001 and sys_info, then
/// the object, then the list of storage keys, then per key an int64 element count and the raw little-endian data.
/// The format is told by the first bytes. Pickles go through the restricted <see cref="PickleReader"/>, so a file that
/// names any code (e.g. <c>os.system</c>) is refused before anything is built; every size is checked against the file
/// before memory is allocated. Every problem is a one-line <see cref="WeightFileException"/>.
/// </summary>
internal static class PyTorchCheckpoint
{
    /// <summary>The prefix <c>torch.nn.DataParallel</c> (and CornerNet's <c>DummyModule</c>) adds to every
    /// key.</summary>
    public const string ModulePrefix = "module.";

    /// <summary>
    /// Keys under which a checkpoint that wraps its state dict commonly keeps it, in the order they are tried.
    /// </summary>
    public static IReadOnlyList<string> StateDictKeys { get; } = ["state_dict", "model_state_dict", "model", "net", "network"];

    // Tied weights may share a storage; beyond this factor, shared storages would only serve to exhaust memory.
    const long MaxExpansion = 4;
    static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    const long LegacyProtocol = 1001;

    /// <summary>
    /// Reads the state dict of the checkpoint at <paramref name="path"/>: name → tensor in the file's order, as new
    /// contiguous CPU tensors with the stored dtype and shape (the caller owns and disposes them). Keys are returned as
    /// stored (see <see cref="StripModulePrefix"/>); BatchNorm <c>num_batches_tracked</c> entries are passed through
    /// when present. The state dict is the top-level dict when its values are all tensors; otherwise the first of
    /// <see cref="StateDictKeys"/> whose value is a dict of tensors; otherwise the only top-level value that is a
    /// dict of tensors. Anything else (no such dict, several candidates, non-tensor entries in it) is an error.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(string path)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new WeightFileException(path, "file not found");
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            int n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            stream.Position = 0;
            if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return ReadZip(path, stream);
            if (n == 4 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a && head[3] == 0x0a) return ReadLegacy(path, stream);
            throw new WeightFileException(path, n < 4
                ? $"truncated: {stream.Length} bytes is too short for a PyTorch checkpoint"
                : $"not a PyTorch checkpoint: starts with {Convert.ToHexString(head)}, expected a zip archive (504B0304) " +
                  "or the legacy pickle magic number (80028A0A)");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new WeightFileException(path, $"cannot read the checkpoint ({e.Message.Split('\n')[0].Trim()})", e);
        }
    }

    /// <summary>
    /// When every key starts with <see cref="ModulePrefix"/>, returns the entries with that prefix removed (same tensor
    /// instances, same order); otherwise returns <paramref name="stateDict"/> unchanged.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> StripModulePrefix(IReadOnlyList<KeyValuePair<string, Tensor>> stateDict)
    {
        if (stateDict.Count == 0 || !stateDict.All(e => e.Key.StartsWith(ModulePrefix, StringComparison.Ordinal))) return stateDict;
        return stateDict.Select(e => new KeyValuePair<string, Tensor>(e.Key[ModulePrefix.Length..], e.Value)).ToList();
    }

    static IReadOnlyList<KeyValuePair<string, Tensor>> ReadZip(string path, FileStream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pickles.Count != 1)
            throw new WeightFileException(path, $"zip archive has {pickles.Count} '<name>/data.pkl' entries, a PyTorch checkpoint has one");
        string prefix = pickles[0].FullName[..^"data.pkl".Length];
        if (archive.GetEntry(prefix + "byteorder") is { } byteorder && ReadEntry(path, byteorder, stream.Length) is var order &&
            System.Text.Encoding.ASCII.GetString(order) != "little")
            throw new WeightFileException(path, "only little-endian checkpoints are supported");

        object? root;
        using (var pickle = new MemoryStream(ReadEntry(path, pickles[0], stream.Length), writable: false))
            root = new PickleReader(pickle, path, pickles[0].FullName).ReadObject();
        var tensors = SelectStateDict(path, root);

        foreach (var storage in tensors.Select(t => t.Value.Storage).Distinct())
        {
            var entry = archive.GetEntry(prefix + "data/" + storage.Key)
                        ?? throw new WeightFileException(path, $"storage '{storage.Key}' has no entry {prefix}data/{storage.Key}");
            CheckEntrySize(path, entry, stream.Length);
            if (entry.Length != StorageBytes(path, storage))
                throw new WeightFileException(path, $"entry {entry.FullName} holds {entry.Length} bytes, its storage needs {StorageBytes(path, storage)}");
        }
        return Materialize(path, tensors, stream.Length, (storage, target) =>
        {
            using var data = archive.GetEntry(prefix + "data/" + storage.Key)!.Open();
            data.ReadExactly(target);
        });
    }

    // PyTorch stores entries uncompressed. Requiring the stored size to be at least the declared size and inside the
    // file bounds every allocation by the file length, so a compression bomb cannot demand gigabytes.
    static void CheckEntrySize(string path, ZipArchiveEntry entry, long fileLength)
    {
        if (entry.Length > entry.CompressedLength || entry.CompressedLength > fileLength)
            throw new WeightFileException(path, $"entry {entry.FullName} declares {entry.Length} bytes from {entry.CompressedLength} stored " +
                                                $"bytes in a {fileLength}-byte file (PyTorch stores entries uncompressed)");
    }

    static byte[] ReadEntry(string path, ZipArchiveEntry entry, long fileLength)
    {
        CheckEntrySize(path, entry, fileLength);
        var bytes = new byte[entry.Length];
        using var data = entry.Open();
        data.ReadExactly(bytes);
        return bytes;
    }

    static IReadOnlyList<KeyValuePair<string, Tensor>> ReadLegacy(string path, FileStream stream)
    {
        var reader = new PickleReader(stream, path, "legacy pickle");
        if (reader.ReadObject() is not BigInteger magic || magic != LegacyMagic)
            throw new WeightFileException(path, "not a PyTorch checkpoint: wrong magic number");
        if (reader.ReadObject() is not long protocol || protocol != LegacyProtocol)
            throw new WeightFileException(path, $"unsupported legacy protocol version (expected {LegacyProtocol})");
        if (reader.ReadObject() is PickleDict sysInfo && sysInfo.TryGetValue("little_endian", out var little) && little is false)
            throw new WeightFileException(path, "only little-endian checkpoints are supported");
        var tensors = SelectStateDict(path, reader.ReadObject());
        if (reader.ReadObject() is not List<object?> keys || keys.Any(k => k is not string))
            throw new WeightFileException(path, "the list of storage keys after the object is missing or malformed");

        // Storages follow in the order of the key list, each as an int64 element count and its data.
        var storages = reader.Storages.ToDictionary(s => s.Key, StringComparer.Ordinal);
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (string key in keys.Cast<string>())
        {
            if (!storages.TryGetValue(key, out var storage))
                throw new WeightFileException(path, $"storage key '{key}' is listed but no tensor uses it");
            if (!offsets.TryAdd(key, stream.Position + 8)) throw new WeightFileException(path, $"storage key '{key}' is listed twice");
            if (stream.Length - stream.Position < 8) throw new WeightFileException(path, $"truncated: storage '{key}' is missing");
            stream.ReadExactly(countBytes);
            long count = BitConverter.ToInt64(countBytes);
            if (count != storage.ElementCount)
                throw new WeightFileException(path, $"storage '{key}' holds {count} elements, its tensors expect {storage.ElementCount}");
            long bytes = StorageBytes(path, storage);
            if (bytes > stream.Length - stream.Position)
                throw new WeightFileException(path, $"truncated: storage '{key}' needs {bytes} bytes, {stream.Length - stream.Position} remain");
            stream.Position += bytes;
        }
        foreach (var storage in storages.Values)
            if (!offsets.ContainsKey(storage.Key))
                throw new WeightFileException(path, $"storage '{storage.Key}' is used by a tensor but has no data");

        return Materialize(path, tensors, stream.Length, (storage, target) =>
        {
            stream.Position = offsets[storage.Key];
            stream.ReadExactly(target);
        });
    }

    static long StorageBytes(string path, StorageReference storage)
    {
        long elementSize = SafeTensorsFile.ElementSize(storage.DType);
        if (storage.ElementCount > long.MaxValue / elementSize)
            throw new WeightFileException(path, $"storage '{storage.Key}' is too large");
        return storage.ElementCount * elementSize;
    }

    static List<KeyValuePair<string, TensorReference>> SelectStateDict(string path, object? root)
    {
        if (root is not PickleDict top) throw new WeightFileException(path, "the checkpoint does not hold a dict (a state dict was expected)");
        if (IsTensorDict(top)) return TensorEntries(path, top);
        foreach (string key in StateDictKeys)
            if (top.TryGetValue(key, out var inner) && inner is PickleDict dict && IsTensorDict(dict))
                return TensorEntries(path, dict);
        var candidates = top.Entries.Where(e => e.Value is PickleDict d && IsTensorDict(d)).ToList();
        if (candidates.Count == 1) return TensorEntries(path, (PickleDict)candidates[0].Value!);
        string keys = string.Join(", ", top.Entries.Take(10).Select(e => e.Key is string s ? $"'{s}'" : "?"));
        throw new WeightFileException(path, candidates.Count == 0
            ? $"no state dict found: the top-level dict (keys {keys}) neither holds tensors nor a dict of tensors"
            : $"no state dict found: {candidates.Count} top-level entries hold dicts of tensors and none is named {string.Join("/", StateDictKeys)}");
    }

    static bool IsTensorDict(PickleDict dict) => dict.Entries.Count > 0 && dict.Entries.All(e => e.Value is TensorReference);

    static List<KeyValuePair<string, TensorReference>> TensorEntries(string path, PickleDict dict) =>
        dict.Entries.Select(e => e.Key is string name
            ? new KeyValuePair<string, TensorReference>(name, (TensorReference)e.Value!)
            : throw new WeightFileException(path, "a state dict key is not a string")).ToList();

    /// <summary>
    /// Loads each storage once (through <paramref name="readStorage"/>, which fills the given span with the storage's
    /// bytes) and copies every tensor's strided view of it into a new contiguous tensor.
    /// </summary>
    static IReadOnlyList<KeyValuePair<string, Tensor>> Materialize(string path, List<KeyValuePair<string, TensorReference>> tensors,
        long fileLength, StorageFill readStorage)
    {
        if (!BitConverter.IsLittleEndian) throw new WeightFileException(path, "reading checkpoints needs a little-endian machine");
        long total = 0;
        foreach (var (name, t) in tensors)
        {
            // Bounds were checked when the tensor was unpickled: its element count is at most its storage's.
            total += t.Shape.Aggregate(1L, (a, b) => a * b) * SafeTensorsFile.ElementSize(t.Storage.DType);
            if (total > MaxExpansion * fileLength + (1 << 20))
                throw new WeightFileException(path, $"the tensors (up to '{name}') would need more than {MaxExpansion}× the file size in memory");
        }
        using var scope = NewDisposeScope();
        var result = new Tensor[tensors.Count];
        foreach (var group in Enumerable.Range(0, tensors.Count).GroupBy(i => tensors[i].Value.Storage.Key))
        {
            var storage = tensors[group.First()].Value.Storage;
            long bytes = StorageBytes(path, storage);
            if (bytes > int.MaxValue) throw new WeightFileException(path, $"storage '{storage.Key}' is larger than 2 GB, which is not supported");
            using var data = empty(storage.ElementCount, storage.DType);
            readStorage(storage, data.bytes);
            foreach (int i in group)
            {
                var t = tensors[i].Value;
                using var view = data.as_strided(t.Shape, t.Strides, t.StorageOffset);
                var copy = empty(t.Shape, storage.DType);
                copy.copy_(view);
                result[i] = copy;
            }
        }
        var list = new List<KeyValuePair<string, Tensor>>(tensors.Count);
        for (int i = 0; i < tensors.Count; i++) list.Add(new(tensors[i].Key, result[i].MoveToOuterDisposeScope()));
        return list;
    }

    delegate void StorageFill(StorageReference storage, Span<byte> target);
}
