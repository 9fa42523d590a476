using static TorchSharp.torch;

namespace CornerNet.Onnx;

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph and assembles the <c>ModelProto</c>. Every
/// node uses the default operator domain (standard ONNX operators only). Field numbers are those of
/// <c>onnx/onnx.proto3</c>: ModelProto ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8,
/// metadata_props 14; GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2,
/// name 3, op_type 4, attribute 5; AttributeProto name 1, i 3, s 4, ints 8, type 20; TensorProto dims 1, data_type 2,
/// name 8, raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1; TypeProto.Tensor elem_type 1, shape 2;
/// TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2; OperatorSetIdProto version 2; StringStringEntryProto
/// key 1, value 2.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    const int FloatType = 1, Int64Type = 7;
    const int AttributeInt = 2, AttributeString = 3, AttributeInts = 7;

    readonly List<ProtobufMessage> _nodes = new();
    readonly List<ProtobufMessage> _initializers = new();
    readonly HashSet<string> _initializerNames = new();
    readonly List<ProtobufMessage> _inputs = new();
    readonly List<ProtobufMessage> _outputs = new();
    int _nextValue;

    /// <summary>Adds a float32 initializer holding a copy of <paramref name="value"/>; returns its name.</summary>
    public string FloatInitializer(string name, Tensor value)
    {
        using var data = value.detach().to_type(ScalarType.Float32).cpu().contiguous();
        return Initializer(name, FloatType, data.shape, data.bytes.ToArray());
    }

    /// <summary>Adds (once per name) a float32 initializer of the given shape and values; returns its name.</summary>
    public string FloatConstant(string name, long[] shape, params float[] values)
    {
        if (_initializerNames.Contains(name)) return name;
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Initializer(name, FloatType, shape, bytes);
    }

    /// <summary>Adds (once per name) a 1-D int64 initializer; returns its name.</summary>
    public string Int64Constant(string name, params long[] values)
    {
        if (_initializerNames.Contains(name)) return name;
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Initializer(name, Int64Type, new long[] { values.Length }, bytes);
    }

    string Initializer(string name, int dataType, long[] shape, byte[] rawLittleEndian)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian");
        if (!_initializerNames.Add(name)) throw new InvalidOperationException($"initializer '{name}' added twice");
        _initializers.Add(new ProtobufMessage()
            .PackedVarints(1, shape)
            .Varint(2, dataType)
            .String(8, name)
            .Bytes(9, rawLittleEndian));
        return name;
    }

    /// <summary>
    /// Adds a node of the default domain; <paramref name="output"/> names its single output (a fresh name when null).
    /// An empty input name marks an omitted optional input. Returns the output name.
    /// </summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string? output = null, params ProtobufMessage[] attributes)
    {
        output ??= $"{opType.ToLowerInvariant()}_{_nextValue++}";
        var node = new ProtobufMessage();
        foreach (var input in inputs) node.String(1, input);
        node.String(2, output);
        node.String(3, $"{opType}_{_nodes.Count}");
        node.String(4, opType);
        foreach (var attribute in attributes) node.Message(5, attribute);
        _nodes.Add(node);
        return output;
    }

    /// <summary>An ints attribute.</summary>
    public static ProtobufMessage IntsAttribute(string name, params long[] values) =>
        new ProtobufMessage().String(1, name).Varint(20, AttributeInts).PackedVarints(8, values);

    /// <summary>An int attribute.</summary>
    public static ProtobufMessage IntAttribute(string name, long value) =>
        new ProtobufMessage().String(1, name).Varint(20, AttributeInt).Varint(3, value);

    /// <summary>A string attribute.</summary>
    public static ProtobufMessage StringAttribute(string name, string value) =>
        new ProtobufMessage().String(1, name).Varint(20, AttributeString).String(4, value);

    /// <summary>Declares a float32 graph input; a dimension is a fixed size (long) or a symbolic name
    /// (string).</summary>
    public void Input(string name, params object[] dims) => _inputs.Add(ValueInfo(name, dims));

    /// <summary>Declares a float32 graph output; dimensions as for <see cref="Input"/>.</summary>
    public void Output(string name, params object[] dims) => _outputs.Add(ValueInfo(name, dims));

    static ProtobufMessage ValueInfo(string name, object[] dims)
    {
        var shape = new ProtobufMessage();
        foreach (var dim in dims)
        {
            shape.Message(1, dim switch
            {
                long size => new ProtobufMessage().Varint(1, size),
                string symbol => new ProtobufMessage().String(2, symbol),
                _ => throw new ArgumentException("a dimension is a size or a symbolic name"),
            });
        }
        var tensorType = new ProtobufMessage().Varint(1, FloatType).Message(2, shape);
        return new ProtobufMessage().String(1, name).Message(2, new ProtobufMessage().Message(1, tensorType));
    }

    /// <summary>The whole <c>ModelProto</c>: this graph, the default-domain opset import and the metadata
    /// entries.</summary>
    public ProtobufMessage BuildModel(string graphName, long irVersion, long opset, string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var graph = new ProtobufMessage();
        foreach (var node in _nodes) graph.Message(1, node);
        graph.String(2, graphName);
        foreach (var initializer in _initializers) graph.Message(5, initializer);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);

        var model = new ProtobufMessage()
            .Varint(1, irVersion)
            .String(2, "CornerNet for .NET")
            .String(3, producerVersion)
            .Message(7, graph)
            .Message(8, new ProtobufMessage().Varint(2, opset));
        foreach (var (key, value) in metadata) model.Message(14, new ProtobufMessage().String(1, key).String(2, value));
        return model;
    }
}
