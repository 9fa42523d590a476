#nullable enable
// One file, two users: the MSBuild task below (build/TorchNativeFix.targets, the package's buildTransitive targets)
// and the library's run-time fallback (src/CornerNet/TorchNativeFix.cs compiles it with CORNERNET_LIBRARY defined).
using System;
using System.IO;
using System.Text;
#if !CORNERNET_LIBRARY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks the version requirement <c>VersionName</c> WEAK in every libLibTorchSharp.so under <c>Directory</c>, but only
/// when the system libstdc++ does not define that version. Idempotent; writes to a temporary file and renames, so a
/// hard link into the NuGet cache is never modified.
/// </summary>
public class MarkGlibcxxVersionWeak : Task
{
    [Required] public string Directory { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        if (CornerNet.SymbolVersionRequirement.SystemLibstdcxxDefines(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"The system libstdc++ defines {VersionName}; nothing to patch.");
            return true;
        }
        var files = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        foreach (string path in files)
        {
            try
            {
                if (CornerNet.SymbolVersionRequirement.MarkWeak(path, VersionName))
                    Log.LogMessage(MessageImportance.High,
                        $"Marked {VersionName} weak in {path} (system libstdc++ lacks it).");
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogWarning($"Could not mark {VersionName} weak in {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif

namespace CornerNet
{
    /// <summary>
    /// A shared library's requirement of a symbol version (an ELF Vernaux entry, e.g. GLIBCXX_3.4.32 of
    /// libstdc++.so.6), and marking it WEAK (VER_FLG_WEAK), so that the loader accepts a library that lacks it.
    /// </summary>
    internal static class SymbolVersionRequirement
    {
        const ushort VerFlagWeak = 0x2;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Whether the system libstdc++ defines <paramref name="versionName"/> (false when none is
        /// found).</summary>
        public static bool SystemLibstdcxxDefines(string versionName)
        {
            string? libstdcxx = FindSystemLibstdcxx();
            return libstdcxx != null
                && Contains(File.ReadAllBytes(libstdcxx), Encoding.ASCII.GetBytes(versionName + "\0"));
        }

        /// <summary>Marks <paramref name="versionName"/> weak in the ELF file <paramref name="path"/>, through a
        /// temporary file and a rename (so a hard link elsewhere keeps the original); returns whether it
        /// changed.</summary>
        public static bool MarkWeak(string path, string versionName)
        {
            byte[] elf = File.ReadAllBytes(path);
            if (MarkWeak(elf, versionName) == 0) return false;
            string temp = path + ".weak.tmp";
            File.WriteAllBytes(temp, elf);
            // The task compiles against netstandard (no File.Move overwrite): replace, then move.
            File.Replace(temp, path, null);
            return true;
        }

        static string? FindSystemLibstdcxx()
        {
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            };
            foreach (string c in candidates) if (File.Exists(c)) return c;
            return null;
        }

        static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        /// <summary>Sets VER_FLG_WEAK on each Vernaux entry named <paramref name="name"/>; returns how many
        /// changed.</summary>
        static int MarkWeak(byte[] elf, string name)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF is supported");
            long shoff = BitConverter.ToInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            int changed = 0;
            for (int s = 0; s < shnum; s++)
            {
                long sh = shoff + (long)s * shentsize;
                if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
                long offset = BitConverter.ToInt64(elf, (int)sh + 0x18);
                uint link = BitConverter.ToUInt32(elf, (int)sh + 0x28);
                long strOffset = BitConverter.ToInt64(elf, (int)(shoff + link * shentsize) + 0x18);
                long need = offset;
                while (true)
                {
                    int cnt = BitConverter.ToUInt16(elf, (int)need + 2);
                    long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                    for (int a = 0; a < cnt; a++)
                    {
                        uint vnaName = BitConverter.ToUInt32(elf, (int)aux + 8);
                        if (ReadCString(elf, strOffset + vnaName) == name)
                        {
                            ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                            if ((flags & VerFlagWeak) == 0)
                            {
                                BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, (int)aux + 4);
                                changed++;
                            }
                        }
                        uint auxNext = BitConverter.ToUInt32(elf, (int)aux + 12);
                        if (auxNext == 0) break;
                        aux += auxNext;
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return changed;
        }

        static string ReadCString(byte[] data, long start)
        {
            long end = start;
            while (end < data.Length && data[end] != 0) end++;
            return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
        }
    }
}
