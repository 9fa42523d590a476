using Google.Protobuf;

namespace CornerNet.Onnx;

/// <summary>
/// A protobuf message assembled field by field and written in the wire format with Google.Protobuf's
/// <see cref="CodedOutputStream"/>. ONNX ships no C# message classes, and the exporter needs only a handful of field
/// kinds, so the few ONNX messages are built from this instead of generated code. Field numbers are the ones of
/// <c>onnx/onnx.proto3</c> (see <see cref="OnnxGraphBuilder"/>). Sizes are computed once on write; byte fields refer to
/// their arrays without copying, so a model's weights are held only once.
/// </summary>
internal sealed class ProtobufMessage
{
    readonly List<(int Number, object Value)> _fields = new();
    int _size = -1;

    /// <summary>Appends a varint field (int32, int64 and enum fields).</summary>
    public ProtobufMessage Varint(int number, long value) => Add(number, value);

    /// <summary>Appends a float (fixed32) field.</summary>
    public ProtobufMessage Float(int number, float value) => Add(number, value);

    /// <summary>Appends a UTF-8 string field.</summary>
    public ProtobufMessage String(int number, string value) => Add(number, ByteString.CopyFromUtf8(value));

    /// <summary>Appends a bytes field that refers to <paramref name="value"/> (not copied; it must not change
    /// afterwards).</summary>
    public ProtobufMessage Bytes(int number, byte[] value) => Add(number, UnsafeByteOperations.UnsafeWrap(value));

    /// <summary>Appends a packed repeated int64 field.</summary>
    public ProtobufMessage PackedVarints(int number, IEnumerable<long> values) => Add(number, values.ToArray());

    /// <summary>Appends an embedded message.</summary>
    public ProtobufMessage Message(int number, ProtobufMessage value) => Add(number, value);

    ProtobufMessage Add(int number, object value)
    {
        _fields.Add((number, value));
        _size = -1;
        return this;
    }

    /// <summary>Encoded size in bytes (without a tag or length prefix).</summary>
    public int Size
    {
        get
        {
            if (_size >= 0) return _size;
            long size = 0;
            foreach (var (number, value) in _fields)
            {
                size += CodedOutputStream.ComputeTagSize(number);
                size += value switch
                {
                    long v => CodedOutputStream.ComputeInt64Size(v),
                    float => 4,
                    ByteString b => CodedOutputStream.ComputeBytesSize(b),
                    long[] a => CodedOutputStream.ComputeLengthSize(PackedSize(a)) + PackedSize(a),
                    ProtobufMessage m => CodedOutputStream.ComputeLengthSize(m.Size) + m.Size,
                    _ => throw new InvalidOperationException("unknown field kind"),
                };
            }
            // Protobuf messages are limited to 2 GiB; Hourglass-104 (≈ 0.8 GB of float32 weights) fits.
            if (size > int.MaxValue) throw new InvalidOperationException($"the message would be {size} bytes; protobuf allows at most 2 GiB");
            _size = (int)size;
            return _size;
        }
    }

    static int PackedSize(long[] values) => values.Sum(CodedOutputStream.ComputeInt64Size);

    /// <summary>Writes the message's fields to <paramref name="output"/>.</summary>
    public void WriteTo(CodedOutputStream output)
    {
        foreach (var (number, value) in _fields)
        {
            switch (value)
            {
                case long v:
                    output.WriteTag(number, WireFormat.WireType.Varint);
                    output.WriteInt64(v);
                    break;
                case float f:
                    output.WriteTag(number, WireFormat.WireType.Fixed32);
                    output.WriteFloat(f);
                    break;
                case ByteString b:
                    output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(b);
                    break;
                case long[] a:
                    output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                    output.WriteLength(PackedSize(a));
                    foreach (long v in a) output.WriteInt64(v);
                    break;
                case ProtobufMessage m:
                    output.WriteTag(number, WireFormat.WireType.LengthDelimited);
                    output.WriteLength(m.Size);
                    m.WriteTo(output);
                    break;
            }
        }
    }

    /// <summary>Writes the message to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        using var output = new CodedOutputStream(stream, leaveOpen: true);
        WriteTo(output);
        output.Flush();
    }
}
