using System.Runtime.InteropServices;
using CornerNet.Distributed;
using CornerNet.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace CornerNet.Training;

/// <summary>
/// The data-parallel hook of <see cref="Trainer"/>: sums the gradients of all processes after the backward passes (each
/// process has already scaled its loss by its share, so the sum is the average), and makes parameters, BatchNorm
/// statistics and optimizer state identical on every process by copying rank 0's. Gradients travel in buckets of
/// about <see cref="BucketBytes"/> through a host (CPU) buffer: few collective calls for many small tensors, and the
/// same path for GPU tensors (host-staged). The reduction runs after the backward pass, not overlapped with it.
/// </summary>
internal sealed class GradientAllReduce : IDisposable
{
    /// <summary>Bucket size (PyTorch DDP's default, 25 MB).</summary>
    public const int BucketBytes = 25 << 20;

    readonly IProcessGroup _group;
    readonly List<Tensor> _parameters;
    readonly Tensor _bucket;

    /// <summary>Reduces the gradients of <paramref name="parameters"/> over <paramref name="group"/>.</summary>
    public GradientAllReduce(IProcessGroup group, IEnumerable<Tensor> parameters)
    {
        _group = group;
        _parameters = parameters.ToList();
        long largest = _parameters.Count == 0 ? 1 : _parameters.Max(p => p.numel());
        _bucket = empty(Math.Max(largest, BucketBytes / sizeof(float)), ScalarType.Float32).DetachFromDisposeScope();
        // Every parameter gets a gradient now (zeros), so all processes reduce the same tensors even when one of them
        // had no image in a step: a gradient is created by the first backward pass that reaches it.
        using (var scope = NewDisposeScope())
        using (var nothing = 0.0.ToScalar())
            _parameters.Select(p => p.sum()).Aggregate((a, b) => a.add(b)).mul(nothing).backward();
    }

    /// <summary>Replaces every gradient by its sum over all processes.</summary>
    public void SumGradients()
    {
        if (_group.Size == 1) return;
        using var _ = no_grad();
        long bucketSize = _bucket.numel();
        int first = 0;
        while (first < _parameters.Count)
        {
            // Fill the bucket with consecutive gradients, reduce it in one call, copy the sums back.
            long used = 0;
            int last = first;
            while (last < _parameters.Count && used + _parameters[last].numel() <= bucketSize) used += _parameters[last++].numel();
            using (var scope = NewDisposeScope())
            {
                long offset = 0;
                for (int i = first; i < last; i++)
                {
                    using var grad = _parameters[i].grad!;
                    long n = grad.numel();
                    _bucket.narrow(0, offset, n).copy_(grad.reshape(-1));
                    offset += n;
                }
                _group.AllReduceSum(MemoryMarshal.Cast<byte, float>(_bucket.bytes)[..(int)used]);
                offset = 0;
                for (int i = first; i < last; i++)
                {
                    using var grad = _parameters[i].grad!;
                    long n = grad.numel();
                    grad.copy_(_bucket.narrow(0, offset, n).view(grad.shape));
                    offset += n;
                }
            }
            first = last;
        }
    }

    /// <summary>Copies rank 0's parameters, buffers (BatchNorm statistics) and optimizer state to every
    /// process.</summary>
    public static void BroadcastState(IProcessGroup group, CornerNetModel model, AdamOptimizer optimizer)
    {
        if (group.Size == 1) return;
        using var _ = no_grad();
        Span<byte> step = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(step, optimizer.StepCount);
        group.Broadcast(step, root: 0);
        optimizer.CreateState();
        foreach (var (_, tensor) in model.state_dict().Concat(optimizer.StateTensors()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            BroadcastTensor(group, tensor);
        optimizer.StepCount = BitConverter.ToInt64(step);
    }

    static void BroadcastTensor(IProcessGroup group, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var host = tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.cpu().contiguous();
        group.Broadcast(host.bytes, root: 0);
        if (!ReferenceEquals(host, tensor)) tensor.copy_(host);
    }

    /// <summary>Releases the bucket.</summary>
    public void Dispose() => _bucket.Dispose();
}
