using TorchSharp;

namespace CornerNet.Layers;

/// <summary>
/// Scalar constants held for the life of the process. TorchSharp 0.107 passes a Scalar's native handle to libtorch
/// without keeping the managed object alive, so an implicitly converted Scalar (e.g. the hidden alpha = 1 of
/// <c>a.add(b)</c>) can be finalized by the GC while libtorch still reads it: under allocation pressure about 1 call in
/// 50,000–100,000 failed ("alpha must not be a floating point number", "Expected false to be true") or could read a
/// wrong value. Scalars stored here are never collected, so operations that take them explicitly are safe.
/// </summary>
internal static class KeptScalars
{
    /// <summary>The integer 1 (alpha of additions, counter increments).</summary>
    public static readonly Scalar One = 1;
}
