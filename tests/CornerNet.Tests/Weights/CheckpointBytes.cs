using System.IO.Compression;
using System.Text;

namespace CornerNet.Tests.Weights;

/// <summary>
/// Writes small PyTorch checkpoints byte by byte, with the opcodes <c>torch.save</c> emits (protocol 2, BINPUT/BINGET
/// memo, BINPERSID storages, <c>_rebuild_tensor_v2</c>), so tests can build valid and hostile files without Python.
/// </summary>
public sealed class CheckpointBytes
{
    readonly MemoryStream _out = new();
    readonly Dictionary<string, int> _memo = [];

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _out.ToArray();

    /// <summary>Appends raw bytes.</summary>
    public CheckpointBytes Raw(params byte[] bytes)
    {
        _out.Write(bytes);
        return this;
    }

    /// <summary>PROTO 2.</summary>
    public CheckpointBytes Proto() => Raw(0x80, 2);

    /// <summary>STOP.</summary>
    public CheckpointBytes Stop() => Raw((byte)'.');

    /// <summary>GLOBAL "module\nname\n", memoized on first use and fetched with BINGET afterwards.</summary>
    public CheckpointBytes Global(string module, string name)
    {
        string id = module + "." + name;
        if (_memo.TryGetValue(id, out int index)) return Raw((byte)'h', (byte)index);
        Raw((byte)'c').Raw(Encoding.UTF8.GetBytes(module + "\n" + name + "\n"));
        index = _memo.Count;
        _memo[id] = index;
        return Raw((byte)'q', (byte)index);
    }

    /// <summary>BINUNICODE.</summary>
    public CheckpointBytes Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return Raw((byte)'X').Raw(BitConverter.GetBytes(bytes.Length)).Raw(bytes);
    }

    /// <summary>BININT (4 bytes, signed).</summary>
    public CheckpointBytes Int(int value) => Raw((byte)'J').Raw(BitConverter.GetBytes(value));

    /// <summary>A tuple of ints (MARK … TUPLE).</summary>
    public CheckpointBytes IntTuple(params long[] values)
    {
        Raw((byte)'(');
        foreach (long v in values) Int((int)v);
        return Raw((byte)'t');
    }

    /// <summary>
    /// One state-dict value: <c>_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())</c>
    /// with a 5-field (zip) or 6-field (legacy) persistent id.
    /// </summary>
    public CheckpointBytes Tensor(string storageType, string key, long storageNumel, long offset, long[] size, long[] stride, bool legacy)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Raw((byte)'(', (byte)'(');
        Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int((int)storageNumel);
        if (legacy) Raw((byte)'N');
        Raw((byte)'t', (byte)'Q');
        Int((int)offset).IntTuple(size).IntTuple(stride);
        Raw(0x89);
        Global("collections", "OrderedDict").Raw((byte)')', (byte)'R');
        return Raw((byte)'t', (byte)'R');
    }

    /// <summary>A tensor of a checkpoint: name, storage class, storage key, raw storage bytes, and the view.</summary>
    public sealed record Entry(string Name, string StorageType, string Key, byte[] Data, int ElementSize, long Offset, long[] Size, long[] Stride);

    /// <summary>The pickle of an OrderedDict state dict holding <paramref name="entries"/>.</summary>
    public static byte[] StateDictPickle(IEnumerable<Entry> entries, bool legacy)
    {
        var w = new CheckpointBytes().Proto().Global("collections", "OrderedDict").Raw((byte)')', (byte)'R', (byte)'(');
        foreach (var e in entries)
            w.Str(e.Name).Tensor(e.StorageType, e.Key, e.Data.Length / e.ElementSize, e.Offset, e.Size, e.Stride, legacy);
        return w.Raw((byte)'u').Stop().ToArray();
    }

    /// <summary>A legacy-format checkpoint around <paramref name="statePickle"/>.</summary>
    public static byte[] Legacy(byte[] statePickle, IReadOnlyList<Entry> entries)
    {
        var w = new CheckpointBytes();
        w.Proto().Raw(0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop();
        w.Proto().Raw((byte)'M', 0xe9, 0x03).Stop();
        w.Proto().Raw((byte)'}', (byte)'(').Str("little_endian").Raw(0x88, (byte)'u').Stop();
        w.Raw(statePickle);
        var keys = entries.DistinctBy(e => e.Key).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        w.Proto().Raw((byte)']', (byte)'(');
        foreach (var e in keys) w.Str(e.Key);
        w.Raw((byte)'e').Stop();
        foreach (var e in keys) w.Raw(BitConverter.GetBytes((long)(e.Data.Length / e.ElementSize))).Raw(e.Data);
        return w.ToArray();
    }

    /// <summary>A zip-format checkpoint around <paramref name="statePickle"/> (entries stored, as PyTorch does).</summary>
    public static byte[] Zip(byte[] statePickle, IReadOnlyList<Entry> entries)
    {
        var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("archive/data.pkl", statePickle);
            Add("archive/byteorder", "little"u8.ToArray());
            foreach (var e in entries.DistinctBy(e => e.Key)) Add("archive/data/" + e.Key, e.Data);
            Add("archive/version", "3\n"u8.ToArray());
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// A small state dict: float weights (one a transposed, offset view of a shared storage), a long scalar and a
    /// byte vector.
    /// </summary>
    public static IReadOnlyList<Entry> SmallStateDict()
    {
        var floats = new byte[4 * 24];
        for (int i = 0; i < 24; i++) BitConverter.TryWriteBytes(floats.AsSpan(4 * i), i * 0.5f - 3f);
        var bias = new byte[4 * 3];
        for (int i = 0; i < 3; i++) BitConverter.TryWriteBytes(bias.AsSpan(4 * i), -1.25f * i);
        return
        [
            new("module.conv.weight", "FloatStorage", "0", floats, 4, 0, [2, 3, 2, 2], [12, 4, 2, 1]),
            new("module.conv.bias", "FloatStorage", "1", bias, 4, 0, [3], [1]),
            new("module.view.t", "FloatStorage", "0", floats, 4, 2, [3, 2], [1, 3]),
            new("module.bn.num_batches_tracked", "LongStorage", "2", BitConverter.GetBytes(7L), 8, 0, [], []),
            new("module.mask", "ByteStorage", "3", [0, 1, 255, 7], 1, 0, [4], [1]),
        ];
    }
}
