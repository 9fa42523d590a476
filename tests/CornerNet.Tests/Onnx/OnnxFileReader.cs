using Google.Protobuf;

namespace CornerNet.Tests.Onnx;

/// <summary>
/// Reads the parts of an ONNX ModelProto the tests check (IR version, opset imports, node op types and domains,
/// metadata) straight from the protobuf wire format, independently of the exporter's writer.
/// Field numbers from onnx/onnx.proto3.
/// </summary>
static class OnnxFileReader
{
    public sealed record NodeInfo(string OpType, string Domain);

    public sealed record ModelInfo(long IrVersion, List<(string Domain, long Version)> OpsetImports, List<NodeInfo> Nodes, Dictionary<string, string> Metadata);

    public static ModelInfo Read(string path)
    {
        var model = new ModelInfo(0, new(), new(), new());
        long ir = 0;
        var input = new CodedInputStream(File.OpenRead(path), leaveOpen: false);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ir = input.ReadInt64(); break;
                case 7: ReadGraph(input.ReadBytes(), model.Nodes); break;
                case 8:
                    {
                        var (domain, version) = ("", 0L);
                        var opset = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = opset.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(t) == 1) domain = opset.ReadString();
                            else if (WireFormat.GetTagFieldNumber(t) == 2) version = opset.ReadInt64();
                            else opset.SkipLastField();
                        }
                        model.OpsetImports.Add((domain, version));
                        break;
                    }
                case 14:
                    {
                        var (key, value) = ("", "");
                        var entry = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint t;
                        while ((t = entry.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(t) == 1) key = entry.ReadString();
                            else if (WireFormat.GetTagFieldNumber(t) == 2) value = entry.ReadString();
                            else entry.SkipLastField();
                        }
                        model.Metadata[key] = value;
                        break;
                    }
                default: input.SkipLastField(); break;
            }
        }
        return model with { IrVersion = ir };
    }

    static void ReadGraph(ByteString bytes, List<NodeInfo> nodes)
    {
        var graph = new CodedInputStream(bytes.ToByteArray());
        uint tag;
        while ((tag = graph.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1) { graph.SkipLastField(); continue; }
            var node = new CodedInputStream(graph.ReadBytes().ToByteArray());
            var (opType, domain) = ("", "");
            uint t;
            while ((t = node.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(t) == 4) opType = node.ReadString();
                else if (WireFormat.GetTagFieldNumber(t) == 7) domain = node.ReadString();
                else node.SkipLastField();
            }
            nodes.Add(new NodeInfo(opType, domain));
        }
    }
}
