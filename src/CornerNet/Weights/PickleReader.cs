using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using TorchSharp;

namespace CornerNet.Weights;

/// <summary>
/// A restricted unpickler for PyTorch checkpoints (pickle protocols 2–5, binary opcodes). It builds only inert values:
/// None (<c>null</c>), bool, int (<c>long</c>, or <see cref="BigInteger"/> when larger), float (<c>double</c>), str,
/// bytes, tuples (<see cref="PickleTuple"/>), lists (<c>List&lt;object?&gt;</c>), dicts and
/// <c>collections.OrderedDict</c> (<see cref="PickleDict"/>), storages named by persistent ids
/// (<see cref="StorageReference"/>) and tensors from <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>_rebuild_tensor</c> and <c>_rebuild_parameter</c> (<see cref="TensorReference"/>). Any other global
/// (<c>os.system</c>, <c>builtins.eval</c>, …) is refused as soon as the file names it, so nothing from the file is
/// ever called — the same rule as PyTorch's <c>weights_only=True</c>. Work and memory are bounded by the input length:
/// every opcode consumes at least one byte and creates at most one small object, lengths are checked against the bytes
/// that remain before anything is allocated, the stack and memo have caps, and nothing is recursive.
/// </summary>
internal sealed class PickleReader
{
    /// <summary>
    /// Most items and marks the stack may hold. Python's pickler batches APPENDS and SETITEMS by 1000, so real
    /// checkpoints stay far below this.
    /// </summary>
    public const int MaxStackItems = 1_000_000;

    /// <summary>Most entries the memo may hold (a checkpoint uses about ten per tensor).</summary>
    public const int MaxMemoEntries = 4_000_000;

    const int MaxLineBytes = 1024;
    const int MaxLongBytes = 64;

    readonly Stream _stream;
    readonly string _path;
    readonly string _part;
    readonly long _end;
    readonly Dictionary<string, StorageReference> _storages;

    /// <summary>
    /// Reads pickles from the current position of <paramref name="stream"/> (seekable, so that every length can be
    /// checked against the bytes that remain). <paramref name="path"/> and <paramref name="part"/> (e.g. "data.pkl")
    /// name the input in error messages. Storages with the same key share one <see cref="StorageReference"/>.
    /// </summary>
    public PickleReader(Stream stream, string path, string part = "pickle")
    {
        if (!stream.CanSeek) throw new ArgumentException("the stream must be seekable", nameof(stream));
        _stream = stream;
        _path = path;
        _part = part;
        _end = stream.Length;
        _storages = new Dictionary<string, StorageReference>(StringComparer.Ordinal);
    }

    /// <summary>Every storage named so far, by key, in order of first appearance.</summary>
    public IEnumerable<StorageReference> Storages => _storages.Values;

    /// <summary>Reads one pickle (up to and including its STOP opcode) and returns the object it builds.</summary>
    public object? ReadObject()
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        while (true)
        {
            long at = _stream.Position;
            int op = _stream.ReadByte();
            if (op < 0) throw Error(at, "truncated: the pickle ends before its STOP opcode");
            switch (op)
            {
                case 0x80: // PROTO
                    int protocol = ReadU8();
                    if (protocol > 5) throw Error(at, $"unsupported pickle protocol {protocol}");
                    break;
                case 0x95: // FRAME: a length hint only
                    long frame = (long)ReadU64();
                    if (frame < 0 || frame > Remaining) throw Error(at, $"frame length {frame} runs past the end");
                    break;
                case '.': // STOP
                    return Pop(stack, marks, at);
                case '(': // MARK
                    CheckStack(stack, marks, at);
                    marks.Push(stack.Count);
                    break;
                case '0': // POP
                    Pop(stack, marks, at);
                    break;
                case '1': // POP_MARK
                    PopToMark(stack, marks, at);
                    break;
                case '2': // DUP
                    Push(stack, marks, Peek(stack, marks, at), at);
                    break;
                case 'N': Push(stack, marks, null, at); break;
                case 0x88: Push(stack, marks, true, at); break;
                case 0x89: Push(stack, marks, false, at); break;
                case 'J': Push(stack, marks, (long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, at)), at); break;
                case 'K': Push(stack, marks, (long)ReadU8(), at); break;
                case 'M': Push(stack, marks, (long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2, at)), at); break;
                case 0x8a: Push(stack, marks, ReadLong(ReadU8(), at), at); break; // LONG1
                case 0x8b: Push(stack, marks, ReadLong(ReadLength4(at), at), at); break; // LONG4
                case 'G': Push(stack, marks, BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8, at)), at); break;
                case 'X': Push(stack, marks, ReadUtf8(ReadLength4(at), at), at); break; // BINUNICODE
                case 0x8c: Push(stack, marks, ReadUtf8(ReadU8(), at), at); break; // SHORT_BINUNICODE
                case 0x8d: Push(stack, marks, ReadUtf8(ReadLength8(at), at), at); break; // BINUNICODE8
                case 'T': Push(stack, marks, Latin1(ReadBytes(ReadLength4(at), at)), at); break; // BINSTRING (Python 2 str)
                case 'U': Push(stack, marks, Latin1(ReadBytes(ReadU8(), at)), at); break; // SHORT_BINSTRING
                case 'B': Push(stack, marks, ReadBytes(ReadLength4(at), at), at); break; // BINBYTES
                case 'C': Push(stack, marks, ReadBytes(ReadU8(), at), at); break; // SHORT_BINBYTES
                case 0x8e: Push(stack, marks, ReadBytes(ReadLength8(at), at), at); break; // BINBYTES8
                case ')': Push(stack, marks, new PickleTuple([]), at); break;
                case 't': Push(stack, marks, new PickleTuple(PopToMark(stack, marks, at)), at); break;
                case 0x85: Push(stack, marks, new PickleTuple(PopN(stack, marks, 1, at)), at); break;
                case 0x86: Push(stack, marks, new PickleTuple(PopN(stack, marks, 2, at)), at); break;
                case 0x87: Push(stack, marks, new PickleTuple(PopN(stack, marks, 3, at)), at); break;
                case ']': Push(stack, marks, new List<object?>(), at); break;
                case 'l': Push(stack, marks, PopToMark(stack, marks, at), at); break; // LIST
                case 'a': // APPEND
                {
                    object? item = Pop(stack, marks, at);
                    AsList(Peek(stack, marks, at), at).Add(item);
                    break;
                }
                case 'e': // APPENDS
                {
                    var items = PopToMark(stack, marks, at);
                    AsList(Peek(stack, marks, at), at).AddRange(items);
                    break;
                }
                case '}': Push(stack, marks, new PickleDict(), at); break;
                case 'd': // DICT
                {
                    var dict = new PickleDict();
                    SetItems(dict, PopToMark(stack, marks, at), at);
                    Push(stack, marks, dict, at);
                    break;
                }
                case 's': // SETITEM
                {
                    object? value = Pop(stack, marks, at);
                    object? key = Pop(stack, marks, at);
                    AsDict(Peek(stack, marks, at), at).Set(key, value);
                    break;
                }
                case 'u': // SETITEMS
                {
                    var items = PopToMark(stack, marks, at);
                    SetItems(AsDict(Peek(stack, marks, at), at), items, at);
                    break;
                }
                case 'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine(at);
                    string name = ReadLine(at);
                    Push(stack, marks, ResolveGlobal(module, name, at), at);
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    object? name = Pop(stack, marks, at);
                    object? module = Pop(stack, marks, at);
                    if (module is not string m || name is not string n) throw Error(at, "STACK_GLOBAL needs two strings");
                    Push(stack, marks, ResolveGlobal(m, n, at), at);
                    break;
                }
                case 'R': // REDUCE
                {
                    object? args = Pop(stack, marks, at);
                    object? callable = Pop(stack, marks, at);
                    Push(stack, marks, Reduce(callable, args, at), at);
                    break;
                }
                case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                {
                    object? args = Pop(stack, marks, at);
                    object? cls = Pop(stack, marks, at);
                    if (cls is not PickleGlobal.OrderedDict || args is not PickleTuple { Items.Count: 0 })
                        throw Error(at, $"NEWOBJ is only allowed for an empty OrderedDict, not {Describe(cls)}");
                    Push(stack, marks, new PickleDict(), at);
                    break;
                }
                case 'b': // BUILD
                {
                    object? state = Pop(stack, marks, at);
                    // A state dict's BUILD restores its `_metadata` attribute (module versions), which a reader of
                    // tensors does not need; anything else would mean calling __setstate__ on an arbitrary object.
                    if (Peek(stack, marks, at) is not PickleDict || state is not (PickleDict or PickleTuple or null))
                        throw Error(at, $"BUILD is only allowed to set attributes of a dict, not of {Describe(Peek(stack, marks, at))}");
                    break;
                }
                case 'Q': // BINPERSID
                    Push(stack, marks, PersistentLoad(Pop(stack, marks, at), at), at);
                    break;
                case 'q': Memoize(memo, ReadU8(), Peek(stack, marks, at), at); break; // BINPUT
                case 'r': Memoize(memo, BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at)), Peek(stack, marks, at), at); break;
                case 0x94: Memoize(memo, memo.Count, Peek(stack, marks, at), at); break; // MEMOIZE
                case 'h': Push(stack, marks, Recall(memo, ReadU8(), at), at); break; // BINGET
                case 'j': Push(stack, marks, Recall(memo, BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at)), at), at); break;
                default:
                    throw Error(at, $"unsupported pickle opcode 0x{op:x2} ('{(op is >= 32 and < 127 ? (char)op : '?')}')");
            }
        }
    }

    long Remaining => _end - _stream.Position;

    WeightFileException Error(long at, string problem) => new(_path, $"{_part} byte {at}: {problem}");

    object ResolveGlobal(string module, string name, long at)
    {
        switch (module, name)
        {
            case ("collections", "OrderedDict"): return PickleGlobal.OrderedDict;
            case ("torch._utils", "_rebuild_tensor_v2"): return PickleGlobal.RebuildTensorV2;
            case ("torch._utils", "_rebuild_tensor"): return PickleGlobal.RebuildTensor;
            case ("torch._utils", "_rebuild_parameter"): return PickleGlobal.RebuildParameter;
        }
        if (module == "torch")
        {
            torch.ScalarType? dtype = name switch
            {
                "FloatStorage" => torch.ScalarType.Float32,
                "DoubleStorage" => torch.ScalarType.Float64,
                "HalfStorage" => torch.ScalarType.Float16,
                "BFloat16Storage" => torch.ScalarType.BFloat16,
                "LongStorage" => torch.ScalarType.Int64,
                "IntStorage" => torch.ScalarType.Int32,
                "ShortStorage" => torch.ScalarType.Int16,
                "CharStorage" => torch.ScalarType.Int8,
                "ByteStorage" => torch.ScalarType.Byte,
                "BoolStorage" => torch.ScalarType.Bool,
                _ => null,
            };
            if (dtype is { } d) return new StorageType(name, d);
        }
        string shown = module.Length + name.Length > 200 ? (module + "." + name)[..200] + "…" : module + "." + name;
        throw Error(at, $"refused global '{Printable(shown)}': a weights file may only name OrderedDict, torch tensor " +
                        "rebuild functions and torch storage types (this file could run code if loaded by pickle)");
    }

    object? Reduce(object? callable, object? args, long at)
    {
        if (args is not PickleTuple tuple) throw Error(at, $"REDUCE arguments must be a tuple, not {Describe(args)}");
        var a = tuple.Items;
        switch (callable)
        {
            case PickleGlobal.OrderedDict:
                if (a.Count != 0) throw Error(at, "OrderedDict is only allowed without constructor arguments");
                return new PickleDict();
            case PickleGlobal.RebuildTensorV2 when a.Count is 6 or 7:
            case PickleGlobal.RebuildTensor when a.Count == 4:
                return RebuildTensor(a, at);
            case PickleGlobal.RebuildParameter when a.Count == 3:
                return a[0] as TensorReference ?? throw Error(at, $"_rebuild_parameter needs a tensor, not {Describe(a[0])}");
            case PickleGlobal g:
                throw Error(at, $"{g} called with {a.Count} arguments");
            default:
                throw Error(at, $"REDUCE may only call an allowed global, not {Describe(callable)}");
        }
    }

    TensorReference RebuildTensor(IReadOnlyList<object?> a, long at)
    {
        if (a[0] is not StorageSlice slice) throw Error(at, $"tensor storage must come from a persistent id, not {Describe(a[0])}");
        if (a[1] is not long offset || offset < 0) throw Error(at, "tensor storage offset must be a non-negative int");
        long[] shape = LongTuple(a[2], "size", at);
        long[] strides = LongTuple(a[3], "stride", at);
        if (shape.Length != strides.Length) throw Error(at, $"tensor has {shape.Length} sizes but {strides.Length} strides");
        if (shape.Any(s => s < 0) || strides.Any(s => s < 0)) throw Error(at, "tensor sizes and strides must be non-negative");
        try
        {
            checked
            {
                long count = 1;
                long last = offset;
                foreach (long s in shape) count *= s;
                for (int i = 0; i < shape.Length; i++)
                    if (shape[i] > 0) last += (shape[i] - 1) * strides[i];
                // A tensor may not address more elements than its storage holds: besides bounds, this refuses
                // zero-stride tensors that would expand a tiny storage into a huge allocation.
                if (count > 0 && (last >= slice.Length || count > slice.Length))
                    throw Error(at, $"tensor of size ({string.Join(", ", shape)}) stride ({string.Join(", ", strides)}) offset {offset} " +
                                    $"does not fit its storage of {slice.Length} elements");
                return new TensorReference(slice.Root, slice.Offset + offset, shape, strides);
            }
        }
        catch (OverflowException)
        {
            throw Error(at, "tensor size or stride is too large");
        }
    }

    long[] LongTuple(object? value, string what, long at)
    {
        if (value is not PickleTuple t || t.Items.Count > 64 || t.Items.Any(i => i is not long))
            throw Error(at, $"tensor {what} must be a tuple of at most 64 ints");
        return t.Items.Select(i => (long)i!).ToArray();
    }

    // ('storage', storage_type, key, location, numel[, view_metadata]): zip files have 5 fields, legacy files 6, with
    // view_metadata = None or (view_key, offset, view_size) for a view into the storage (PyTorch ≤ 0.4).
    StorageSlice PersistentLoad(object? pid, long at)
    {
        if (pid is not PickleTuple { Items: var f } || f.Count is not (5 or 6) || f[0] is not "storage")
            throw Error(at, $"persistent id must be ('storage', type, key, location, size), not {Describe(pid)}");
        if (f[1] is not StorageType type) throw Error(at, $"persistent id names {Describe(f[1])} instead of a storage type");
        if (f[2] is not string key || key.Length > MaxLineBytes) throw Error(at, "storage key must be a short string");
        if (f[3] is not string) throw Error(at, "storage location must be a string");
        if (f[4] is not long count || count < 0) throw Error(at, $"storage '{Printable(key)}': size must be a non-negative int");
        if (_storages.TryGetValue(key, out var root))
        {
            if (root.DType != type.DType || root.ElementCount != count)
                throw Error(at, $"storage '{Printable(key)}' is named twice with different types or sizes");
        }
        else
        {
            root = new StorageReference(key, type.DType, count);
            _storages.Add(key, root);
        }
        if (f.Count == 5 || f[5] is null) return new StorageSlice(root, 0, count);
        if (f[5] is not PickleTuple { Items: [string, long viewOffset, long viewSize] } ||
            viewOffset < 0 || viewSize < 0 || viewOffset > count || viewSize > count - viewOffset)
            throw Error(at, $"storage '{Printable(key)}': view must be (key, offset, size) inside the storage");
        return new StorageSlice(root, viewOffset, viewSize);
    }

    void SetItems(PickleDict dict, List<object?> items, long at)
    {
        if (items.Count % 2 != 0) throw Error(at, "SETITEMS needs key/value pairs");
        for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
    }

    List<object?> AsList(object? value, long at) => value as List<object?> ?? throw Error(at, $"APPEND needs a list, not {Describe(value)}");

    PickleDict AsDict(object? value, long at) => value as PickleDict ?? throw Error(at, $"SETITEM needs a dict, not {Describe(value)}");

    void Memoize(Dictionary<long, object?> memo, long index, object? value, long at)
    {
        if (memo.Count >= MaxMemoEntries && !memo.ContainsKey(index)) throw Error(at, $"more than {MaxMemoEntries} memo entries");
        memo[index] = value;
    }

    object? Recall(Dictionary<long, object?> memo, long index, long at) =>
        memo.TryGetValue(index, out var value) ? value : throw Error(at, $"memo entry {index} is not defined");

    void CheckStack(List<object?> stack, Stack<int> marks, long at)
    {
        if (stack.Count + marks.Count >= MaxStackItems) throw Error(at, $"more than {MaxStackItems} items and marks on the pickle stack");
    }

    void Push(List<object?> stack, Stack<int> marks, object? value, long at)
    {
        CheckStack(stack, marks, at);
        stack.Add(value);
    }

    object? Peek(List<object?> stack, Stack<int> marks, long at)
    {
        int floor = marks.Count > 0 ? marks.Peek() : 0;
        if (stack.Count <= floor) throw Error(at, "pickle stack underflow");
        return stack[^1];
    }

    object? Pop(List<object?> stack, Stack<int> marks, long at)
    {
        object? value = Peek(stack, marks, at);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    List<object?> PopN(List<object?> stack, Stack<int> marks, int n, long at)
    {
        int floor = marks.Count > 0 ? marks.Peek() : 0;
        if (stack.Count - floor < n) throw Error(at, "pickle stack underflow");
        var items = stack.GetRange(stack.Count - n, n);
        stack.RemoveRange(stack.Count - n, n);
        return items;
    }

    List<object?> PopToMark(List<object?> stack, Stack<int> marks, long at)
    {
        if (marks.Count == 0) throw Error(at, "no MARK on the pickle stack");
        int mark = marks.Pop();
        var items = stack.GetRange(mark, stack.Count - mark);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    int ReadU8()
    {
        int b = _stream.ReadByte();
        if (b < 0) throw Error(_stream.Position, "truncated pickle");
        return b;
    }

    ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, _stream.Position));

    long ReadLength4(long at) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, at));

    long ReadLength8(long at)
    {
        ulong n = ReadU64();
        return n > long.MaxValue ? throw Error(at, $"length {n} runs past the end") : (long)n;
    }

    byte[] ReadBytes(long count, long at)
    {
        if (count > Remaining || count > int.MaxValue) throw Error(at, $"length {count} runs past the end of the data ({Remaining} bytes left)");
        var bytes = new byte[count];
        _stream.ReadExactly(bytes);
        return bytes;
    }

    string ReadUtf8(long count, long at)
    {
        var bytes = ReadBytes(count, at);
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Error(at, "string is not valid UTF-8"); }
    }

    static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    object ReadLong(long count, long at)
    {
        if (count > MaxLongBytes) throw Error(at, $"integer of {count} bytes is too long");
        var value = new BigInteger(ReadBytes(count, at), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    string ReadLine(long at)
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0) throw Error(at, "truncated GLOBAL");
            if (b == '\n') break;
            if (bytes.Count >= MaxLineBytes) throw Error(at, "GLOBAL name is too long");
            bytes.Add((byte)b);
        }
        try { return new UTF8Encoding(false, true).GetString(bytes.ToArray()); }
        catch (DecoderFallbackException) { throw Error(at, "GLOBAL name is not valid UTF-8"); }
    }

    static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"str '{Printable(s.Length > 40 ? s[..40] + "…" : s)}'",
        PickleTuple t => $"a tuple of {t.Items.Count}",
        List<object?> => "a list",
        PickleDict => "a dict",
        StorageSlice => "a storage",
        TensorReference => "a tensor",
        PickleGlobal g => g.ToString(),
        StorageType t => "torch." + t.Name,
        _ => value.GetType().Name,
    };

    // Keeps error messages on one line whatever the file contains.
    static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
