using System.Buffers.Binary;
using System.Text;

namespace CornerNet.Tests.Foundation;

/// <summary>The native fix's ELF edit (build/MarkGlibcxxVersionWeak.cs, shared by the build task and the library's
/// run-time fallback), on a minimal ELF file with one library's version requirements.</summary>
public class SymbolVersionRequirementTests
{
    const ushort VerFlagWeak = 0x2;

    [Fact]
    public void MarkWeakSetsTheWeakFlagOfThatVersionOnlyOnceAndKeepsAHardLinkedOriginal()
    {
        string dir = Directory.CreateTempSubdirectory("cornernet-elf").FullName;
        try
        {
            string path = Path.Combine(dir, "libLibTorchSharp.so");
            byte[] original = MinimalElf(out int newFlags, out int oldFlags);
            File.WriteAllBytes(path, original);
            string link = Path.Combine(dir, "cache-copy.so");
            Assert.Equal(0, Link(path, link));

            Assert.True(SymbolVersionRequirement.MarkWeak(path, "GLIBCXX_3.4.32"));
            byte[] marked = File.ReadAllBytes(path);
            Assert.Equal(VerFlagWeak, BinaryPrimitives.ReadUInt16LittleEndian(marked.AsSpan(newFlags)));
            Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(marked.AsSpan(oldFlags)));
            Assert.Equal(original.Length, marked.Length);
            Assert.Equal(original, File.ReadAllBytes(link));  // renamed over, never written through the link

            Assert.False(SymbolVersionRequirement.MarkWeak(path, "GLIBCXX_3.4.32"));
            Assert.Equal(marked, File.ReadAllBytes(path));
            Assert.Equal(new[] { "cache-copy.so", "libLibTorchSharp.so" },
                Directory.GetFiles(dir).Select(Path.GetFileName).Order().ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AFileThatIsNotElfIsRefusedAndLeftAlone()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-elf-{Guid.NewGuid():N}.so");
        try
        {
            File.WriteAllText(path, new string('x', 100));
            Assert.Throws<InvalidDataException>(() => SymbolVersionRequirement.MarkWeak(path, "GLIBCXX_3.4.32"));
            Assert.Equal(new string('x', 100), File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TheSystemLibstdcxxDefinesItsBaseVersionButNoInventedOne()
    {
        if (!OperatingSystem.IsLinux()) return;  // the fix does nothing elsewhere
        Assert.True(SymbolVersionRequirement.SystemLibstdcxxDefines("GLIBCXX_3.4"));
        Assert.False(SymbolVersionRequirement.SystemLibstdcxxDefines("GLIBCXX_9.9.99"));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int Link(string existing, string created);

    /// <summary>A 64-bit little-endian ELF file with a string table and a .gnu.version_r section: libstdc++.so.6
    /// needs GLIBCXX_3.4 and GLIBCXX_3.4.32 (both not weak). Returns where each entry's flags are.</summary>
    static byte[] MinimalElf(out int newFlags, out int oldFlags)
    {
        byte[] strings = Encoding.ASCII.GetBytes("\0libstdc++.so.6\0GLIBCXX_3.4\0GLIBCXX_3.4.32\0");
        const int stringsAt = 64, verneedAt = 128, sectionsAt = 192;
        var elf = new byte[sectionsAt + 3 * 64];
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F'; elf[4] = 2; elf[5] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(0x28), sectionsAt);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3C), 3);
        strings.CopyTo(elf, stringsAt);
        // Verneed: version 1, 2 entries, file "libstdc++.so.6", entries follow at +16, no next library.
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(verneedAt), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(verneedAt + 2), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(verneedAt + 4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(verneedAt + 8), 16);
        // Vernaux: name offsets 16 (GLIBCXX_3.4) and 28 (GLIBCXX_3.4.32); flags at +4; next at +12.
        int old = verneedAt + 16, added = verneedAt + 32;
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(old + 8), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(old + 12), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(added + 8), 28);
        // Section 1: the string table; section 2: .gnu.version_r, linked to section 1.
        int strtab = sectionsAt + 64, verneed = sectionsAt + 128;
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(strtab + 4), 3);
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(strtab + 0x18), stringsAt);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(verneed + 4), 0x6ffffffe);
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(verneed + 0x18), verneedAt);
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(verneed + 0x28), 1);
        newFlags = added + 4;
        oldFlags = old + 4;
        return elf;
    }
}
