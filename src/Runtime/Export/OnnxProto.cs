// A minimal protobuf writer for the few ONNX messages an exported network needs (field numbers from onnx/onnx.proto).
using System.Buffers.Binary;
using System.Text;

namespace Functional.Export;

/// <summary>
/// Protobuf wire format, written by hand: a message is a byte buffer of (tag, value) pairs, tag = field·8 + wire type
/// (0 varint, 2 length-delimited, 5 fixed 32-bit). Nested messages are written into their own buffer first and then
/// appended with their length, which is all ONNX's messages need.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream bytes = new();

    public byte[] ToArray() => bytes.ToArray();

    private void Varint(ulong value)
    {
        while (value >= 0x80) { bytes.WriteByte((byte)(value | 0x80)); value >>= 7; }
        bytes.WriteByte((byte)value);
    }

    private void Tag(int field, int wireType) => Varint((ulong)(field << 3 | wireType));

    /// <summary>An int32/int64/enum field (negative values take ten bytes, as protobuf's int64 encoding says).</summary>
    public ProtoWriter Int(int field, long value) { Tag(field, 0); Varint((ulong)value); return this; }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        bytes.Write(b);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value) { Tag(field, 2); Varint((ulong)value.Length); bytes.Write(value); return this; }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.bytes.GetBuffer().AsSpan(0, (int)message.bytes.Length));

    /// <summary>A repeated int64 field, packed (proto3's default encoding, which onnx.proto's proto2 readers accept).</summary>
    public ProtoWriter PackedInts(int field, ReadOnlySpan<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long v in values) packed.Varint((ulong)v);
        return Message(field, packed);
    }
}

/// <summary>Builders for the ONNX messages, each named by its onnx.proto type, with the field numbers spelled out once here.</summary>
internal static class OnnxMessages
{
    public const int FloatType = 1, Int64Type = 7; // TensorProto.DataType

    /// <summary>ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.</summary>
    public static ProtoWriter Model(long irVersion, string producer, string version, string doc, ProtoWriter graph, long opset, IEnumerable<(string Key, string Value)> metadata)
    {
        var model = new ProtoWriter().Int(1, irVersion).String(2, producer).String(3, version).String(6, doc).Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, opset)); // OperatorSetIdProto: domain 1 ("" = ai.onnx), version 2
        foreach (var (key, value) in metadata) model.Message(14, new ProtoWriter().String(1, key).String(2, value)); // StringStringEntryProto
        return model;
    }

    /// <summary>GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.</summary>
    public static ProtoWriter Graph(string name, IEnumerable<ProtoWriter> nodes, IEnumerable<ProtoWriter> initializers, ProtoWriter input, ProtoWriter output)
    {
        var graph = new ProtoWriter();
        foreach (var n in nodes) graph.Message(1, n);
        graph.String(2, name);
        foreach (var t in initializers) graph.Message(5, t);
        return graph.Message(11, input).Message(12, output);
    }

    /// <summary>NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.</summary>
    public static ProtoWriter Node(string op, string name, string[] inputs, string output, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs) node.String(1, i);
        node.String(2, output).String(3, name).String(4, op);
        foreach (var a in attributes) node.Message(5, a);
        return node;
    }

    /// <summary>AttributeProto with a float: name 1, f 2, type 20 = FLOAT (1).</summary>
    public static ProtoWriter FloatAttribute(string name, float value) => new ProtoWriter().String(1, name).Float(2, value).Int(20, 1);

    /// <summary>AttributeProto with an int: name 1, i 3, type 20 = INT (2).</summary>
    public static ProtoWriter IntAttribute(string name, long value) => new ProtoWriter().String(1, name).Int(3, value).Int(20, 2);

    /// <summary>AttributeProto with ints: name 1, ints 8, type 20 = INTS (7).</summary>
    public static ProtoWriter IntsAttribute(string name, params long[] values)
    {
        var attribute = new ProtoWriter().String(1, name);
        foreach (long v in values) attribute.Int(8, v);
        return attribute.Int(20, 7);
    }

    /// <summary>TensorProto of floats: dims 1, data_type 2, name 8, raw_data 9 (little-endian float32).</summary>
    public static ProtoWriter FloatTensor(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        return new ProtoWriter().PackedInts(1, dims).Int(2, FloatType).String(8, name).Bytes(9, raw);
    }

    /// <summary>TensorProto of int64s (a Reshape's shape).</summary>
    public static ProtoWriter Int64Tensor(string name, params long[] values)
    {
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), values[i]);
        return new ProtoWriter().PackedInts(1, [values.Length]).Int(2, Int64Type).String(8, name).Bytes(9, raw);
    }

    /// <summary>
    /// ValueInfoProto (name 1, type 2) of a float matrix [batch, width]: TypeProto.tensor_type 1 → elem_type 1, shape 2 →
    /// TensorShapeProto.dim 1 → dim_param 2 (the symbolic batch) or dim_value 1.
    /// </summary>
    public static ProtoWriter Matrix(string name, string batch, long width, string doc)
    {
        var shape = new ProtoWriter().Message(1, new ProtoWriter().String(2, batch)).Message(1, new ProtoWriter().Int(1, width));
        var tensor = new ProtoWriter().Int(1, FloatType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor)).String(3, doc);
    }
}
