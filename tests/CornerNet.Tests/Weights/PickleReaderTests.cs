using System.Numerics;
using CornerNet.Weights;

namespace CornerNet.Tests.Weights;

public class PickleReaderTests
{
    [Fact]
    public void ReadsPlainValuesContainersAndMemo()
    {
        // {'a': [1, -2, 70000, 2**70, 1.5, None, True, 'é', b'\x01'], 'b': ('x', 'x')} with MEMOIZE and BINGET.
        var w = new CheckpointBytes().Proto().Raw((byte)'}', (byte)'(');
        w.Str("a").Raw((byte)']', (byte)'(').Raw((byte)'K', 1).Raw((byte)'J').Raw(BitConverter.GetBytes(-2)).Raw((byte)'M', 0x70, 0x11, (byte)'0')
            .Raw((byte)'J').Raw(BitConverter.GetBytes(70000)).Raw(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40)
            .Raw((byte)'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0).Raw((byte)'N', 0x88).Raw(0x8c, 2, 0xc3, 0xa9).Raw((byte)'C', 1, 1).Raw((byte)'e');
        w.Str("b").Raw(0x8c, 1, (byte)'x', 0x94, (byte)'h', 0, 0x86);
        var value = Read(w.Raw((byte)'u').Stop().ToArray());

        var dict = Assert.IsType<PickleDict>(value);
        Assert.Equal(["a", "b"], dict.Entries.Select(e => e.Key));
        Assert.True(dict.TryGetValue("a", out var a));
        // 'M' 0x1170 was popped by POP ('0'); 2**70 does not fit a long.
        Assert.Equal(new object?[] { 1L, -2L, 70000L, BigInteger.Pow(2, 70), 1.5, null, true, "é", new byte[] { 1 } }, Assert.IsType<List<object?>>(a));
        Assert.True(dict.TryGetValue("b", out var b));
        Assert.Equal(new object?[] { "x", "x" }, Assert.IsType<PickleTuple>(b).Items);
    }

    [Fact]
    public void DeepNestingNeedsNoRecursion()
    {
        var w = new CheckpointBytes().Proto().Raw((byte)')');
        for (int i = 0; i < 200_000; i++) w.Raw(0x85); // TUPLE1: ((((),),),)…
        var value = Read(w.Stop().ToArray());
        for (int i = 0; i < 200_000; i++) value = Assert.IsType<PickleTuple>(value).Items[0];
        Assert.Empty(Assert.IsType<PickleTuple>(value).Items);
    }

    [Fact]
    public void StackIsBounded()
    {
        var bytes = new byte[PickleReader.MaxStackItems + 10];
        Array.Fill(bytes, (byte)'(');
        var e = Assert.Throws<WeightFileException>(() => Read(bytes));
        Assert.Contains("pickle stack", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'X', 0xff, 0xff, 0xff, 0x7f, (byte)'a' }, "runs past the end")]
    [InlineData(new byte[] { 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80 }, "runs past the end")]
    [InlineData(new byte[] { 0x8b, 0, 0, 0, 0x40 }, "too long")]
    [InlineData(new byte[] { (byte)'h', 5, (byte)'.' }, "memo entry 5 is not defined")]
    [InlineData(new byte[] { (byte)'s', (byte)'.' }, "stack underflow")]
    [InlineData(new byte[] { (byte)'t', (byte)'.' }, "no MARK")]
    [InlineData(new byte[] { (byte)'N', (byte)'N', (byte)'s', (byte)'.' }, "stack underflow")]
    [InlineData(new byte[] { (byte)']', (byte)'N', (byte)'N', (byte)'s', (byte)'.' }, "SETITEM needs a dict")]
    [InlineData(new byte[] { (byte)'i' }, "unsupported pickle opcode")]
    [InlineData(new byte[] { 0x80, 9 }, "unsupported pickle protocol 9")]
    [InlineData(new byte[] { (byte)'N' }, "truncated")]
    [InlineData(new byte[] { (byte)'c', (byte)'o', (byte)'s' }, "truncated GLOBAL")]
    [InlineData(new byte[] { (byte)'}', (byte)'b', (byte)'.' }, "stack underflow")]
    [InlineData(new byte[] { (byte)']', (byte)'}', (byte)'b', (byte)'.' }, "BUILD is only allowed")]
    [InlineData(new byte[] { (byte)'N', (byte)'Q', (byte)'.' }, "persistent id")]
    public void MalformedPickleGivesAClearError(byte[] bytes, string expected)
    {
        var e = Assert.Throws<WeightFileException>(() => Read(bytes));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("test.pkl: pickle byte ", e.Message);
    }

    [Fact]
    public void GlobalIsRefusedWhenNamedNotWhenCalled()
    {
        // GLOBAL then STOP: nothing is ever called, yet the file is refused at the GLOBAL.
        var bytes = new CheckpointBytes().Proto().Global("subprocess", "Popen").Stop().ToArray();
        var e = Assert.Throws<WeightFileException>(() => Read(bytes));
        Assert.Contains("pickle byte 2: refused global 'subprocess.Popen'", e.Message);
    }

    static object? Read(byte[] bytes) => new PickleReader(new MemoryStream(bytes), "test.pkl").ReadObject();
}
