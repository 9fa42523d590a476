using CornerNet.Data;

namespace CornerNet.Tests.Data;

/// <summary>
/// Mutated headers across every accepted format, with fixed seeds: each outcome is a decoded image within the limits
/// or an <see cref="InvalidInputException"/> naming the input, never another exception or a crash of the process.
/// </summary>
public class ImageDecoderFuzzTests
{
    // Small limits keep every case fast: a mutated header may claim up to this many pixels and be filled in.
    static readonly InputLimits Limits = new() { MaxImagePixels = 2_000_000, MaxImageSide = 4096 };

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("gif")]
    [InlineData("webp")]
    public void MutatedHeadersDecodeOrFailCleanly(string format)
    {
        var seed = TestImageFiles.Encode(format, 32, 24, seed: 7);
        var sizeFields = TestImageFiles.SizeFields(format, seed);
        var random = new Random(1500 + format.Length * 31 + format[0]);
        int decoded = 0, refused = 0;
        for (int round = 0; round < 80; round++)
        {
            var bytes = (byte[])seed.Clone();
            switch (round % 5)
            {
                case 0 when sizeFields.Length > 0:
                    // A size field set to a random, often huge, value.
                    var (offset, count, bigEndian) = sizeFields[random.Next(sizeFields.Length)];
                    uint value = (uint)random.Next() >> random.Next(0, 31);
                    for (int b = 0; b < count; b++)
                        bytes[offset + (bigEndian ? count - 1 - b : b)] = (byte)(value >> (8 * b));
                    if (format == "png") bytes = TestImageFiles.WithPngSize(bytes, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
                    break;
                case 1:
                    // A few bytes of the header flipped.
                    for (int k = random.Next(1, 5); k > 0; k--) bytes[random.Next(Math.Min(bytes.Length, 64))] ^= (byte)random.Next(1, 256);
                    break;
                case 2:
                    // One byte anywhere.
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 3:
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                default:
                    // A header byte set to an extreme value.
                    bytes[random.Next(Math.Min(bytes.Length, 40))] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x00;
                    break;
            }
            try
            {
                var image = ImageDecoder.Decode(bytes, $"case{round}.{format}", Limits);
                Assert.InRange((long)image.Width * image.Height, 1, Limits.MaxImagePixels);
                Assert.Equal((long)image.Width * image.Height * 3, image.Pixels.LongLength);
                decoded++;
            }
            catch (InvalidInputException e)
            {
                Assert.StartsWith($"case{round}.{format}: ", e.Message);
                refused++;
            }
        }
        Assert.Equal(80, decoded + refused);
        Assert.True(refused > 0, "no mutation was refused: the mutations do not reach the header");
    }
}
