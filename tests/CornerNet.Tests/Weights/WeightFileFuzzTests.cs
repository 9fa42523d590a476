using System.Buffers.Binary;
using CornerNet.Weights;
using static TorchSharp.torch;

namespace CornerNet.Tests.Weights;

/// <summary>
/// Mutates valid weight files at random (fixed seeds, bounded counts) and checks that every outcome is either a
/// successful load or a <see cref="WeightFileException"/>: no other exception, no hang.
/// </summary>
public class WeightFileFuzzTests
{
    const int MutationsPerSmallFile = 300;
    const int MutationsPerFixture = 20;
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public void MutatedSafetensorsLoadOrFailCleanly()
    {
        string path = TempPath(".safetensors");
        try
        {
            using (var scope = NewDisposeScope())
                SafeTensorsFile.Write(path, new Dictionary<string, Tensor>
                {
                    ["conv.weight"] = arange(24, dtype: float32).reshape(2, 3, 2, 2),
                    ["conv.bias"] = tensor(new[] { 1.5, -2.0 }),
                    ["bn.num_batches_tracked"] = tensor(3L),
                    ["mask"] = tensor(new byte[] { 0, 1, 2 }),
                }, new Dictionary<string, string> { ["format_version"] = "1" });
            Fuzz(File.ReadAllBytes(path), 11, MutationsPerSmallFile, 0, LoadSafetensors);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MutatedSmallCheckpointsLoadOrFailCleanly(bool legacy)
    {
        var entries = CheckpointBytes.SmallStateDict();
        var pickle = CheckpointBytes.StateDictPickle(entries, legacy);
        var bytes = legacy ? CheckpointBytes.Legacy(pickle, entries) : CheckpointBytes.Zip(pickle, entries);
        Fuzz(bytes, legacy ? 12 : 13, MutationsPerSmallFile, 0, LoadCheckpoint);
    }

    // The fixtures are 9 MB: mutations go into the pickle (the first 128 KB) and, for the zip file, the central
    // directory at the end, where structure lives; the tensor data in between only changes values.
    [FixtureTheory]
    [InlineData("small_cornernet_legacy.pkl", 14)]
    [InlineData("small_cornernet_zip.pth", 15)]
    [InlineData("small_cornernet.safetensors", 16)]
    public void MutatedFixturesLoadOrFailCleanly(string file, int seed)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Reference, file));
        Action<string> load = file.EndsWith(".safetensors") ? LoadSafetensors : LoadCheckpoint;
        Fuzz(bytes, seed, MutationsPerFixture, 128 * 1024, load);
    }

    static void LoadSafetensors(string path)
    {
        var file = SafeTensorsFile.Read(path);
        foreach (var t in file.LoadAll().Values) t.Dispose();
    }

    static void LoadCheckpoint(string path)
    {
        foreach (var (_, t) in PyTorchCheckpoint.Read(path)) t.Dispose();
    }

    /// <summary>
    /// Applies <paramref name="count"/> random mutations to <paramref name="original"/> and loads each result. With
    /// <paramref name="focus"/> &gt; 0, edits land in the first and last <paramref name="focus"/> bytes.
    /// </summary>
    static void Fuzz(byte[] original, int seed, int count, int focus, Action<string> load)
    {
        var random = new Random(seed);
        string path = TempPath(".bin");
        int loaded = 0, refused = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var (bytes, what) = Mutate(original, random, focus);
                File.WriteAllBytes(path, bytes);
                var run = Task.Run(() => load(path));
                try
                {
                    Assert.True(run.Wait(Deadline), $"mutation {i} ({what}) did not finish within {Deadline.TotalSeconds} s");
                    loaded++;
                }
                catch (AggregateException e) when (e.InnerException is WeightFileException w)
                {
                    Assert.DoesNotContain('\n', w.Message);
                    Assert.StartsWith(path, w.Message);
                    refused++;
                }
                catch (AggregateException e)
                {
                    Assert.Fail($"mutation {i} ({what}) threw {e.InnerException!.GetType().Name}: {e.InnerException.Message}");
                }
            }
        }
        finally { File.Delete(path); }
        // Both outcomes must occur, or the mutations are not exercising anything.
        Assert.True(refused > 0 && loaded + refused == count, $"loaded {loaded}, refused {refused}");
    }

    static (byte[] Bytes, string What) Mutate(byte[] original, Random random, int focus)
    {
        int Position(int length)
        {
            if (focus <= 0 || length <= 2 * focus) return random.Next(length);
            int p = random.Next(2 * focus);
            return p < focus ? p : length - 2 * focus + p;
        }

        var bytes = (byte[])original.Clone();
        switch (random.Next(7))
        {
            case 0:
            {
                int flips = 1 + random.Next(8);
                for (int k = 0; k < flips; k++) bytes[Position(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return (bytes, $"{flips} bit flips");
            }
            case 1:
            {
                int p = Position(bytes.Length);
                byte[] special = [0x00, 0xff, 0x7f, 0x80, (byte)'.', (byte)'(', (byte)'R', (byte)'b'];
                bytes[p] = special[random.Next(special.Length)];
                return (bytes, $"byte {p} set to 0x{bytes[p]:x2}");
            }
            case 2:
            {
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length} bytes");
            }
            case 3:
            {
                // A length or size field edit: a random, small, huge or negative 32- or 64-bit integer.
                int width = random.Next(2) == 0 ? 4 : 8;
                int p = random.Next(4) == 0 ? 0 : Math.Min(Position(bytes.Length), bytes.Length - width);
                long[] values = [random.Next(), random.Next(64), -1, int.MaxValue, long.MaxValue, 1L << 40, bytes.Length, bytes.Length + 1];
                long value = values[random.Next(values.Length)];
                if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(p), (int)value);
                else BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(p), value);
                return (bytes, $"int{width * 8} at {p} set to {value}");
            }
            case 4:
            {
                int p = Position(bytes.Length);
                int n = Math.Min(1 + random.Next(16), bytes.Length - p);
                return ([.. bytes[..p], .. bytes[(p + n)..]], $"{n} bytes removed at {p}");
            }
            case 5:
            {
                int p = Position(bytes.Length);
                var garbage = new byte[1 + random.Next(16)];
                random.NextBytes(garbage);
                return ([.. bytes[..p], .. garbage, .. bytes[p..]], $"{garbage.Length} random bytes inserted at {p}");
            }
            default:
            {
                // Garbage behind the original's first bytes, so the format is still detected.
                var garbage = new byte[random.Next(2048)];
                random.NextBytes(garbage);
                int keep = Math.Min(bytes.Length, random.Next(16));
                return ([.. bytes[..keep], .. garbage], $"{keep} original bytes then {garbage.Length} random bytes");
            }
        }
    }

    static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"fuzz-{Guid.NewGuid():N}{extension}");
}
