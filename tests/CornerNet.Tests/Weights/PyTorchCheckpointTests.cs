using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Weights;

public class PyTorchCheckpointTests
{
    [FixtureTheory]
    [InlineData("small_cornernet_legacy.pkl")]
    [InlineData("small_cornernet_zip.pth")]
    public void OfficialCheckpointImportsBitExactlyEqualToSafetensors(string file)
    {
        using var scope = NewDisposeScope();
        var raw = PyTorchCheckpoint.Read(Path.Combine(Fixtures.Reference, file));
        Assert.All(raw, e => Assert.StartsWith("module.", e.Key));
        var stateDict = PyTorchCheckpoint.StripModulePrefix(raw);
        var expected = SafeTensorsFile.Read(Path.Combine(Fixtures.Reference, "small_cornernet.safetensors"));

        Assert.Equal(768, stateDict.Count);
        Assert.Equal(expected.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), stateDict.Select(e => e.Key).Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in stateDict)
        {
            var info = expected.Info(name);
            Assert.Equal(info.DType, tensor.dtype);
            Assert.Equal(info.Shape, tensor.shape);
            Assert.True(tensor.is_contiguous(), name);
            using var want = expected.Load(name);
            // Bytes, not values: bit-exact, and NaN-safe.
            Assert.True(want.bytes.SequenceEqual(tensor.bytes), $"{name} differs");
        }
    }

    [FixtureFact]
    public void BothFormatsKeepTheStateDictOrderOfTheFile()
    {
        using var scope = NewDisposeScope();
        var legacy = PyTorchCheckpoint.Read(Path.Combine(Fixtures.Reference, "small_cornernet_legacy.pkl")).Select(e => e.Key).ToList();
        var zip = PyTorchCheckpoint.Read(Path.Combine(Fixtures.Reference, "small_cornernet_zip.pth")).Select(e => e.Key).ToList();
        Assert.Equal(legacy, zip);
        // Module registration order, as the files list them (not sorted).
        Assert.Equal(["module.pre.0.conv.weight", "module.pre.0.bn.weight", "module.pre.0.bn.bias", "module.pre.0.bn.running_mean",
                      "module.pre.0.bn.running_var", "module.pre.0.bn.num_batches_tracked"], legacy.Take(6));
        Assert.NotEqual(legacy.Order(StringComparer.Ordinal), legacy);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SmallCheckpointReadsViewsDtypesAndScalars(bool legacy)
    {
        using var scope = NewDisposeScope();
        var entries = CheckpointBytes.SmallStateDict();
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy);
        var read = ReadBytes(legacy ? CheckpointBytes.Legacy(pickle, entries) : CheckpointBytes.Zip(pickle, entries), legacy);

        Assert.Equal(entries.Select(e => e.Name), read.Select(e => e.Key));
        var byName = read.ToDictionary(e => e.Key, e => e.Value);
        var weight = arange(24, dtype: float32).mul(0.5f).sub(3f).reshape(2, 3, 2, 2);
        Assert.True(weight.Equals(byName["module.conv.weight"]));
        Assert.True(tensor(new[] { 0f, -1.25f, -2.5f }).Equals(byName["module.conv.bias"]));
        // Offset 2, size (3, 2), stride (1, 3) over the same storage: element [i, j] = storage[2 + i + 3j].
        var view = weight.flatten().as_strided([3, 2], [1, 3], 2).contiguous();
        Assert.True(view.Equals(byName["module.view.t"]));
        Assert.True(byName["module.view.t"].is_contiguous());
        Assert.Equal(ScalarType.Int64, byName["module.bn.num_batches_tracked"].dtype);
        Assert.Empty(byName["module.bn.num_batches_tracked"].shape);
        Assert.Equal(7L, byName["module.bn.num_batches_tracked"].item<long>());
        Assert.True(tensor(new byte[] { 0, 1, 255, 7 }).Equals(byName["module.mask"]));
    }

    [Fact]
    public void StripModulePrefixOnlyWhenEveryKeyHasIt()
    {
        using var scope = NewDisposeScope();
        var t = zeros(1);
        var all = new List<KeyValuePair<string, Tensor>> { new("module.a", t), new("module.b.c", t) };
        Assert.Equal(["a", "b.c"], PyTorchCheckpoint.StripModulePrefix(all).Select(e => e.Key));
        var mixed = new List<KeyValuePair<string, Tensor>> { new("module.a", t), new("b", t) };
        Assert.Same(mixed, PyTorchCheckpoint.StripModulePrefix(mixed));
    }

    [Theory]
    [InlineData("state_dict")]
    [InlineData("model")]
    [InlineData("anything")]
    public void StateDictWrappedInADictIsFound(string key)
    {
        using var scope = NewDisposeScope();
        var entries = CheckpointBytes.SmallStateDict();
        // {'epoch': 3, key: OrderedDict(...)} — the inner pickle without its PROTO and STOP, spliced into a dict.
        var inner = CheckpointBytes.StateDictPickle(entries, legacy: false);
        var pickle = new CheckpointBytes().Proto().Raw((byte)'}', (byte)'(').Str("epoch").Int(3).Str(key)
            .Raw(inner[2..^1]).Raw((byte)'u').Stop().ToArray();
        var read = ReadBytes(CheckpointBytes.Zip(pickle, entries), legacy: false);
        Assert.Equal(entries.Select(e => e.Name), read.Select(e => e.Key));
    }

    [Fact]
    public void DictWithoutTensorsIsRefused()
    {
        var pickle = new CheckpointBytes().Proto().Raw((byte)'}', (byte)'(').Str("epoch").Int(3).Raw((byte)'u').Stop().ToArray();
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Zip(pickle, []), legacy: false));
        Assert.Contains("no state dict", e.Message);
    }

    [Theory]
    [InlineData("os", "system", true)]
    [InlineData("posix", "system", false)]
    [InlineData("builtins", "eval", true)]
    [InlineData("__builtin__", "getattr", false)]
    [InlineData("torch", "load", true)]
    [InlineData("numpy.core.multiarray", "_reconstruct", false)]
    public void PickleNamingAnyOtherGlobalIsRefusedBeforeAnythingRuns(string module, string name, bool legacy)
    {
        // The classic exploit: GLOBAL os.system, then REDUCE with ('touch <marker>',).
        string marker = Path.Combine(Path.GetTempPath(), $"pwned-{Guid.NewGuid():N}");
        var pickle = new CheckpointBytes().Proto().Global(module, name).Raw((byte)'(').Str("touch " + marker)
            .Raw((byte)'t', (byte)'R').Stop().ToArray();
        var bytes = legacy ? CheckpointBytes.Legacy(pickle, []) : CheckpointBytes.Zip(pickle, []);
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(bytes, legacy));
        Assert.Contains($"refused global '{module}.{name}'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void StackGlobalIsCheckedLikeGlobal()
    {
        var pickle = new CheckpointBytes().Proto().Raw(0x8c, 2).Raw("os"u8.ToArray()).Raw(0x8c, 6).Raw("system"u8.ToArray())
            .Raw(0x93).Stop().ToArray();
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Zip(pickle, []), legacy: false));
        Assert.Contains("refused global 'os.system'", e.Message);
    }

    [Fact]
    public void AllowedGlobalCalledWithWrongArgumentsIsRefused()
    {
        // OrderedDict(*(1,)) is not something a state dict does.
        var pickle = new CheckpointBytes().Proto().Global("collections", "OrderedDict").Raw((byte)'(').Int(1).Raw((byte)'t', (byte)'R')
            .Stop().ToArray();
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Zip(pickle, []), legacy: false));
        Assert.Contains("OrderedDict is only allowed without constructor arguments", e.Message);
    }

    [Fact]
    public void TensorPastTheEndOfItsStorageIsRefused()
    {
        var entries = CheckpointBytes.SmallStateDict().ToList();
        entries[1] = entries[1] with { Size = [4] };
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy: true);
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Legacy(pickle, entries), legacy: true));
        Assert.Contains("does not fit its storage", e.Message);
    }

    [Fact]
    public void ZeroStrideExpansionIsRefused()
    {
        var entries = CheckpointBytes.SmallStateDict().ToList();
        entries[1] = entries[1] with { Size = [1000, 1000], Stride = [0, 0] };
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy: false);
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Zip(pickle, entries), legacy: false));
        Assert.Contains("does not fit its storage", e.Message);
    }

    [Fact]
    public void StorageLargerThanItsDataIsRefused()
    {
        var entries = CheckpointBytes.SmallStateDict();
        // The pickle claims storage "1" has 3 elements; give the zip entry only 2.
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy: false);
        var shortened = entries.Select(x => x.Key == "1" ? x with { Data = x.Data[..8] } : x).ToList();
        var e = Assert.Throws<WeightFileException>(() => ReadBytes(CheckpointBytes.Zip(pickle, shortened), legacy: false));
        Assert.Contains("holds 8 bytes, its storage needs 12", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TruncatedCheckpointIsRefused(bool legacy)
    {
        var entries = CheckpointBytes.SmallStateDict();
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy);
        var bytes = legacy ? CheckpointBytes.Legacy(pickle, entries) : CheckpointBytes.Zip(pickle, entries);
        foreach (int length in new[] { 0, 3, 10, 40, bytes.Length / 2, bytes.Length - 1 })
            Assert.Throws<WeightFileException>(() => ReadBytes(bytes[..length], legacy));
    }

    [Fact]
    public void WrongMagicIsRefused()
    {
        var e = Assert.Throws<WeightFileException>(() => ReadBytes("GIF89a, not weights"u8.ToArray(), legacy: true));
        Assert.Contains("not a PyTorch checkpoint", e.Message);
        var entries = CheckpointBytes.SmallStateDict();
        var bytes = CheckpointBytes.Legacy(CheckpointBytes.StateDictPickle(entries, legacy: true), entries);
        bytes[5] ^= 0xff; // inside the magic number's LONG1 payload
        e = Assert.Throws<WeightFileException>(() => ReadBytes(bytes, legacy: true));
        Assert.Contains("wrong magic number", e.Message);
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        var e = Assert.Throws<WeightFileException>(() => PyTorchCheckpoint.Read("/nonexistent/model.pth"));
        Assert.Contains("file not found", e.Message);
    }

    static IReadOnlyList<KeyValuePair<string, Tensor>> ReadBytes(byte[] bytes, bool legacy)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ckpt-{Guid.NewGuid():N}{(legacy ? ".pkl" : ".pth")}");
        File.WriteAllBytes(path, bytes);
        try { return PyTorchCheckpoint.Read(path); }
        finally { File.Delete(path); }
    }
}
