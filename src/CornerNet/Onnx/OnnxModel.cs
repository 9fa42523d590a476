using Google.Protobuf;

namespace CornerNet.Onnx;

/// <summary>
/// An ONNX <c>ModelProto</c> read back into editable parts, for rewriting a graph after export (quantization): the
/// graph's nodes, its initializers (raw little-endian data) and its outputs and metadata are editable; every other
/// field is kept as read and written back unchanged. Field numbers as in <see cref="OnnxGraphBuilder"/>.
/// </summary>
internal sealed class OnnxModel
{
    /// <summary>One node: op type, domain, input and output names, attributes kept as encoded.</summary>
    public sealed class Node
    {
        public required string OpType { get; init; }
        public string Domain { get; init; } = "";
        public string Name { get; set; } = "";
        public List<string> Inputs { get; init; } = new();
        public List<string> Outputs { get; init; } = new();
        public List<ProtobufMessage> Attributes { get; init; } = new();
    }

    /// <summary>One initializer: name, ONNX data type, dimensions and raw data.</summary>
    public sealed record Tensor(string Name, int DataType, long[] Dims, byte[] Data);

    public const int FloatType = 1, Uint8Type = 2, Int8Type = 3, Int32Type = 6, Int64Type = 7;

    readonly List<(int Number, object Value)> _modelFields = new();
    readonly List<(int Number, object Value)> _graphFields = new();

    public List<Node> Nodes { get; } = new();
    public Dictionary<string, Tensor> Initializers { get; } = new();
    public List<string> InitializerOrder { get; } = new();

    /// <summary>Graph outputs as encoded <c>ValueInfoProto</c>s, with their names.</summary>
    public List<(string Name, ProtobufMessage Info)> Outputs { get; } = new();

    /// <summary>Graph input names.</summary>
    public List<string> InputNames { get; } = new();

    public List<KeyValuePair<string, string>> Metadata { get; } = new();

    /// <summary>The default-domain opset the model imports (0 when absent).</summary>
    public long Opset { get; private set; }

    /// <summary>Reads a model; anything that is not an ONNX model this project's exporter writes throws
    /// <see cref="InvalidInputException"/>.</summary>
    public static OnnxModel Read(byte[] bytes, string? path)
    {
        try
        {
            return Parse(bytes, path);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            throw new InvalidInputException(path, $"not an ONNX model ({e.Message})");
        }
    }

    static OnnxModel Parse(byte[] bytes, string? path)
    {
        var model = new OnnxModel();
        bool hasGraph = false;
        foreach (var (number, value) in Fields(bytes))
        {
            switch (number)
            {
                case 7 when value is ByteString graph:
                    model.ReadGraph(graph, path);
                    hasGraph = true;
                    break;
                case 8 when value is ByteString opset:
                    {
                        string domain = "";
                        long version = 0;
                        foreach (var (n, v) in Fields(opset.ToByteArray()))
                        {
                            if (n == 1 && v is ByteString d) domain = d.ToStringUtf8();
                            if (n == 2 && v is long l) version = l;
                        }
                        if (domain is "" or "ai.onnx") model.Opset = version;
                        model._modelFields.Add((number, value));
                        break;
                    }
                case 14 when value is ByteString entry:
                    {
                        string key = "", text = "";
                        foreach (var (n, v) in Fields(entry.ToByteArray()))
                        {
                            if (n == 1 && v is ByteString k) key = k.ToStringUtf8();
                            if (n == 2 && v is ByteString t) text = t.ToStringUtf8();
                        }
                        model.Metadata.Add(new(key, text));
                        break;
                    }
                default:
                    model._modelFields.Add((number, value));
                    break;
            }
        }
        if (!hasGraph) throw new InvalidInputException(path, "not an ONNX model (no graph)");
        return model;
    }

    void ReadGraph(ByteString bytes, string? path)
    {
        foreach (var (number, value) in Fields(bytes.ToByteArray()))
        {
            switch (number)
            {
                case 1 when value is ByteString node: Nodes.Add(ReadNode(node)); break;
                case 5 when value is ByteString tensor:
                    {
                        var t = ReadTensor(tensor, path);
                        Initializers[t.Name] = t;
                        InitializerOrder.Add(t.Name);
                        break;
                    }
                case 11 when value is ByteString input:
                    InputNames.Add(ValueInfoName(input));
                    _graphFields.Add((number, value));
                    break;
                case 12 when value is ByteString output:
                    Outputs.Add((ValueInfoName(output), Raw(output)));
                    break;
                default: _graphFields.Add((number, value)); break;
            }
        }
    }

    static string ValueInfoName(ByteString info)
    {
        foreach (var (n, v) in Fields(info.ToByteArray()))
            if (n == 1 && v is ByteString name) return name.ToStringUtf8();
        return "";
    }

    /// <summary>A message that writes <paramref name="encoded"/>'s fields back unchanged.</summary>
    static ProtobufMessage Raw(ByteString encoded)
    {
        var message = new ProtobufMessage();
        foreach (var (n, v) in Fields(encoded.ToByteArray())) Append(message, n, v);
        return message;
    }

    static void Append(ProtobufMessage message, int number, object value)
    {
        switch (value)
        {
            case long l: message.Varint(number, l); break;
            case float f: message.Float(number, f); break;
            case ByteString b: message.Bytes(number, b.ToByteArray()); break;
            default: throw new InvalidOperationException("unknown field kind");
        }
    }

    static Node ReadNode(ByteString bytes)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<ProtobufMessage>();
        string name = "", opType = "", domain = "";
        foreach (var (n, v) in Fields(bytes.ToByteArray()))
        {
            switch (n)
            {
                case 1 when v is ByteString s: inputs.Add(s.ToStringUtf8()); break;
                case 2 when v is ByteString s: outputs.Add(s.ToStringUtf8()); break;
                case 3 when v is ByteString s: name = s.ToStringUtf8(); break;
                case 4 when v is ByteString s: opType = s.ToStringUtf8(); break;
                case 5 when v is ByteString s: attributes.Add(Raw(s)); break;
                case 7 when v is ByteString s: domain = s.ToStringUtf8(); break;
            }
        }
        return new Node { OpType = opType, Domain = domain, Name = name, Inputs = inputs, Outputs = outputs, Attributes = attributes };
    }

    static Tensor ReadTensor(ByteString bytes, string? path)
    {
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        byte[]? data = null;
        foreach (var (n, v) in Fields(bytes.ToByteArray()))
        {
            switch (n)
            {
                case 1 when v is long d: dims.Add(d); break;
                case 1 when v is ByteString packed: dims.AddRange(PackedVarints(packed)); break;
                case 2 when v is long t: dataType = (int)t; break;
                case 8 when v is ByteString s: name = s.ToStringUtf8(); break;
                case 9 when v is ByteString raw: data = raw.ToByteArray(); break;
                case 4 or 5 or 7 or 10 or 11 or 13 or 14:
                    throw new InvalidInputException(path, $"initializer '{name}' is not stored as raw data (re-export it with 'cornernet export')");
            }
        }
        return new Tensor(name, dataType, dims.ToArray(), data ?? []);
    }

    static IEnumerable<long> PackedVarints(ByteString packed)
    {
        var input = new CodedInputStream(packed.ToByteArray());
        while (!input.IsAtEnd) yield return input.ReadInt64();
    }

    /// <summary>The fields of an encoded message: varints as long, fixed32 as float, length-delimited as
    /// ByteString.</summary>
    static List<(int Number, object Value)> Fields(byte[] bytes)
    {
        var fields = new List<(int, object)>();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int number = WireFormat.GetTagFieldNumber(tag);
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.Fixed32 => input.ReadFloat(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes(),
                var other => throw new InvalidDataException($"unexpected wire type {other}"),
            };
            fields.Add((number, value));
        }
        return fields;
    }

    /// <summary>Adds (or replaces) an initializer.</summary>
    public void SetInitializer(Tensor tensor)
    {
        if (!Initializers.ContainsKey(tensor.Name)) InitializerOrder.Add(tensor.Name);
        Initializers[tensor.Name] = tensor;
    }

    /// <summary>Declares <paramref name="name"/> as a further float32 graph output of unknown shape.</summary>
    public void AddFloatOutput(string name)
    {
        var tensorType = new ProtobufMessage().Varint(1, FloatType);
        Outputs.Add((name, new ProtobufMessage().String(1, name).Message(2, new ProtobufMessage().Message(1, tensorType))));
    }

    /// <summary>Sets (or adds) a metadata entry.</summary>
    public void SetMetadata(string key, string value)
    {
        Metadata.RemoveAll(kv => kv.Key == key);
        Metadata.Add(new(key, value));
    }

    /// <summary>Encodes the model.</summary>
    public byte[] ToBytes()
    {
        var graph = new ProtobufMessage();
        foreach (var node in Nodes)
        {
            var message = new ProtobufMessage();
            foreach (var input in node.Inputs) message.String(1, input);
            foreach (var output in node.Outputs) message.String(2, output);
            if (node.Name.Length > 0) message.String(3, node.Name);
            message.String(4, node.OpType);
            foreach (var attribute in node.Attributes) message.Message(5, attribute);
            if (node.Domain.Length > 0) message.String(7, node.Domain);
            graph.Message(1, message);
        }
        foreach (var name in InitializerOrder)
        {
            var t = Initializers[name];
            graph.Message(5, new ProtobufMessage().PackedVarints(1, t.Dims).Varint(2, t.DataType).String(8, t.Name).Bytes(9, t.Data));
        }
        // Field order inside a message does not matter to protobuf readers; kept fields first, then the outputs.
        foreach (var (number, value) in _graphFields) Append(graph, number, value);
        foreach (var (_, info) in Outputs) graph.Message(12, info);

        var model = new ProtobufMessage();
        foreach (var (number, value) in _modelFields) Append(model, number, value);
        model.Message(7, graph);
        foreach (var (key, value) in Metadata) model.Message(14, new ProtobufMessage().String(1, key).String(2, value));
        using var stream = new MemoryStream();
        model.WriteTo(stream);
        return stream.ToArray();
    }
}
