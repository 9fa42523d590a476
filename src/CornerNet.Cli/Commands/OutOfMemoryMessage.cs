using System.Diagnostics;

namespace CornerNet.Cli.Commands;

/// <summary>
/// The one line printed when a command runs out of managed memory: what was being computed, named by the innermost
/// method of this project on the exception's stack (readers name their file themselves, see
/// <see cref="InputFile.Reading{T}"/>), and what to do.
/// </summary>
internal static class OutOfMemoryMessage
{
    /// <summary><paramref name="e"/> when it is an <see cref="OutOfMemoryException"/>, or the first one it wraps
    /// (parallel loops and tasks wrap their failures in an <see cref="AggregateException"/>), or null.</summary>
    public static OutOfMemoryException? Cause(Exception e) => e switch
    {
        OutOfMemoryException outOfMemory => outOfMemory,
        AggregateException aggregate =>
            aggregate.Flatten().InnerExceptions.Select(Cause).FirstOrDefault(c => c is not null),
        _ => e.InnerException is Exception inner ? Cause(inner) : null,
    };

    /// <summary>The message for <paramref name="e"/>, without the program prefix.</summary>
    public static string For(OutOfMemoryException e)
    {
        string where = Where(e) is string method ? $" in {method}" : "";
        return $"out of memory{where}; free memory, or give smaller inputs (fewer or smaller images, a smaller " +
            "--batch-size or model)";
    }

    /// <summary>"Type.Method" of the innermost method (not constructor) in a CornerNet assembly, a lambda named by the
    /// method that holds it, or null.</summary>
    static string? Where(Exception e)
    {
        foreach (var frame in new StackTrace(e, fNeedFileInfo: false).GetFrames())
        {
            var method = frame.GetMethod();
            var type = method?.DeclaringType;
            while (type is not null && type.Name.Contains('<', StringComparison.Ordinal)) type = type.DeclaringType;
            if (method is null || type?.Namespace is not string space
                || !space.StartsWith("CornerNet", StringComparison.Ordinal))
                continue;
            // A lambda's compiler-made name holds its method's: "<Create>b__0_0".
            string name = method.Name.StartsWith('<')
                ? method.Name[1..Math.Max(1, method.Name.IndexOf('>'))]
                : method.Name;
            // A constructor says less than the method that called it ("new BgrImage" vs "SyntheticShapes.Render").
            if (name.Length == 0 || name.StartsWith('.') || type == typeof(CommandRunner)) continue;
            return $"{type.Name}.{name}";
        }
        return null;
    }
}
