using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CornerNet;

/// <summary>
/// The temporary files of this process: named <c>NAME.tmp-PID-START-N</c> beside their target (the process id, its
/// start time in clock ticks since boot from <c>/proc</c>, 0 where there is no <c>/proc</c>, and a counter), known
/// while they live so that a stop signal can remove them (<see cref="RemoveAllAndHold"/>), and recognisable after a
/// <c>kill -9</c>: the first temporary this process makes in a folder removes the ones there whose process is gone.
/// A process is gone when its id is not running, or runs with another start time (the id was reused). Names from
/// earlier versions (<c>NAME.tmp-PID</c>, <c>NAME.tmp-PID-THREAD</c>) are judged by the id alone. Ids are those of
/// this PID namespace: a folder shared with another container's processes may lose their temporaries.
/// </summary>
internal static partial class TemporaryFiles
{
    static readonly object Gate = new();
    static readonly HashSet<string> Live = [];
    static readonly ConcurrentDictionary<string, bool> SweptFolders = new();
    static readonly long OwnStart = StartTime(Environment.ProcessId) ?? 0;
    static long _counter;
    static bool _held;

    /// <summary>
    /// Creates a new temporary file beside <paramref name="target"/> (an absolute path; its folder is created if
    /// needed) and opens it for writing. It stays known until <see cref="Commit"/> or <see cref="Discard"/>.
    /// </summary>
    public static (string Path, FileStream Stream) Create(string target)
    {
        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        if (SweptFolders.TryAdd(folder, true)) RemoveStale(folder);
        string name = $"{target}.tmp-{Environment.ProcessId}-{OwnStart}-{Interlocked.Increment(ref _counter)}";
        lock (Gate)
        {
            HoldIfStopping();
            // Created under the lock: a stop signal either sees it and removes it, or comes before it exists.
            var stream = new FileStream(name, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            Live.Add(name);
            return (name, stream);
        }
    }

    /// <summary>Renames <paramref name="temporary"/> to <paramref name="target"/>, replacing what is there.</summary>
    public static void Commit(string temporary, string target)
    {
        lock (Gate)
        {
            HoldIfStopping();
            File.Move(temporary, target, overwrite: true);
            Live.Remove(temporary);
        }
    }

    /// <summary>Removes <paramref name="temporary"/> if it is still there (after a failure, or instead of a
    /// commit).</summary>
    public static void Discard(string temporary)
    {
        lock (Gate)
        {
            HoldIfStopping();
            File.Delete(temporary);
            Live.Remove(temporary);
        }
    }

    /// <summary>
    /// For a process that is about to exit on a signal: removes every temporary file it has, and makes every later
    /// create, commit or discard wait for the exit, so that no new temporary appears and no half-written one is
    /// renamed into place.
    /// </summary>
    public static void RemoveAllAndHold()
    {
        lock (Gate)
        {
            _held = true;
            foreach (string temporary in Live)
            {
                try
                {
                    File.Delete(temporary);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Its folder went away or turned read-only: nothing more can be done on the way out.
                }
            }
            Live.Clear();
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is a temporary of a process that is gone.</summary>
    internal static bool IsStale(string fileName)
    {
        var match = TemporaryName().Match(fileName);
        if (!match.Success) return false;
        bool current = match.Groups[1].Success;
        string pid = current ? match.Groups[1].Value : match.Groups[4].Value;
        // Earlier versions' names carry no start time: 0, judged by the id alone.
        string start = current ? match.Groups[2].Value : "0";
        return int.TryParse(pid, CultureInfo.InvariantCulture, out int id)
            && long.TryParse(start, CultureInfo.InvariantCulture, out long ticks)
            && !Running(id, ticks);
    }

    static void RemoveStale(string folder)
    {
        try
        {
            foreach (string file in Directory.EnumerateFiles(folder, "*.tmp-*"))
                if (IsStale(Path.GetFileName(file))) File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's leftovers, or a folder that is not listable: they stay, the new write goes on.
        }
    }

    static void HoldIfStopping()
    {
        // Only a process that is exiting holds; its signal handler ends it.
        if (_held) Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>Whether process <paramref name="pid"/> runs and (when <paramref name="start"/> is not 0) started at
    /// that time.</summary>
    static bool Running(int pid, long start)
    {
        if (pid <= 0) return false;
        if (Directory.Exists("/proc/self"))
            return StartTime(pid) is long actual && (start == 0 || actual == start);
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Field 22 of <c>/proc/PID/stat</c>, the start time in clock ticks since boot; null when not
    /// running or without <c>/proc</c>.</summary>
    static long? StartTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces; fields 3… follow the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out long ticks)
                ? ticks : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // This version's PID-START-N after any name; an earlier version's PID or PID-THREAD only after an extension
    // (NAME.png.tmp-PID), so that a user's own "notes.tmp-2024" is never taken for one.
    [GeneratedRegex(@"(?:\.tmp-(\d{1,10})-(\d{1,20})-(\d{1,20})|\.[A-Za-z0-9]{1,10}\.tmp-(\d{1,10})(?:-\d{1,20})?)$")]
    private static partial Regex TemporaryName();
}
