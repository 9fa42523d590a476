using TorchSharp;

namespace CornerNet.Weights;

// The values a restricted unpickler can produce besides null (None), bool, long, BigInteger, double, string, byte[]
// and List<object?> (a Python list). Nothing here runs code: each type is inert data.

/// <summary>A Python tuple.</summary>
/// <param name="Items">The elements, in order.</param>
internal sealed record PickleTuple(IReadOnlyList<object?> Items);

/// <summary>
/// A Python dict or <c>collections.OrderedDict</c>, in insertion order. Setting a key that is already present replaces
/// its value in place, as Python does; keys are compared by value for strings and numbers, by reference otherwise.
/// </summary>
internal sealed class PickleDict
{
    // Created on first use: a hostile pickle can push millions of empty dicts, each should cost only a few bytes.
    List<KeyValuePair<object?, object?>>? _entries;
    Dictionary<object, int>? _index;

    /// <summary>The entries in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => (IReadOnlyList<KeyValuePair<object?, object?>>?)_entries ?? [];

    /// <summary>The value stored under the string key <paramref name="key"/>, or false when absent.</summary>
    public bool TryGetValue(string key, out object? value)
    {
        if (_index != null && _index.TryGetValue(key, out int i))
        {
            value = _entries![i].Value;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (Python <c>d[key] = value</c>).</summary>
    public void Set(object? key, object? value)
    {
        _entries ??= [];
        if (key is string or long or bool or double or System.Numerics.BigInteger)
        {
            _index ??= [];
            if (_index.TryGetValue(key, out int i))
            {
                _entries[i] = new(key, value);
                return;
            }
            _index[key] = _entries.Count;
        }
        _entries.Add(new(key, value));
    }
}

/// <summary>
/// A storage named by a checkpoint's persistent id: its key (the zip entry <c>data/&lt;key&gt;</c> or the legacy
/// format's storage key), element type and element count. The data itself is read later by
/// <see cref="PyTorchCheckpoint"/>.
/// </summary>
/// <param name="Key">The storage key.</param>
/// <param name="DType">Element type, from the storage class (e.g. <c>torch.FloatStorage</c>).</param>
/// <param name="ElementCount">Number of elements of the whole storage.</param>
internal sealed record StorageReference(string Key, torch.ScalarType DType, long ElementCount);

/// <summary>
/// A tensor described by <c>torch._utils._rebuild_tensor_v2</c>: a strided view of a storage. The bounds were
/// checked when it was built: every element it addresses lies inside the storage.
/// </summary>
/// <param name="Storage">The storage holding the data.</param>
/// <param name="StorageOffset">Offset of element 0, in elements from the start of the storage.</param>
/// <param name="Shape">Sizes of the dimensions.</param>
/// <param name="Strides">Strides of the dimensions, in elements.</param>
internal sealed record TensorReference(StorageReference Storage, long StorageOffset, long[] Shape, long[] Strides);

/// <summary>The part of a storage a persistent id names: the whole storage, or a view into it (legacy
/// format).</summary>
sealed record StorageSlice(StorageReference Root, long Offset, long Length);

/// <summary>One of the few Python globals the restricted unpickler accepts.</summary>
enum PickleGlobal
{
    OrderedDict,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
}

/// <summary>A storage class global such as <c>torch.FloatStorage</c>.</summary>
sealed record StorageType(string Name, torch.ScalarType DType);
