namespace CornerNet.Inference;

/// <summary>
/// numpy 1.24's default <c>np.argsort</c> of a float64 array (introsort: quicksort with median-of-three pivots,
/// insertion sort for partitions of up to 17 elements, heapsort past the depth limit; NaN sorts last). The
/// Saccade test procedure visits locations in this order, so equal scores are visited as numpy visits them.
/// </summary>
internal static class NumpyArgsort
{
    const int SmallQuicksort = 16;

    /// <summary>The indices that sort <paramref name="values"/> ascending, in numpy's order for ties.</summary>
    public static int[] Ascending(IReadOnlyList<double> values)
    {
        int num = values.Count;
        var order = Enumerable.Range(0, num).ToArray();
        if (num < 2) return order;
        bool Less(int a, int b) => values[a] < values[b] || (double.IsNaN(values[b]) && !double.IsNaN(values[a]));
        var stack = new Stack<(int Left, int Right, int Depth)>();
        int pl = 0, pr = num - 1, depth = 2 * MostSignificantBit(num);
        while (true)
        {
            if (depth < 0) HeapSort(order, pl, pr - pl + 1, Less);
            else
            {
                while (pr - pl > SmallQuicksort)
                {
                    int pm = pl + ((pr - pl) >> 1);
                    if (Less(order[pm], order[pl])) Swap(order, pm, pl);
                    if (Less(order[pr], order[pm])) Swap(order, pr, pm);
                    if (Less(order[pm], order[pl])) Swap(order, pm, pl);
                    int pivot = order[pm];
                    int pi = pl, pj = pr - 1;
                    Swap(order, pm, pj);
                    while (true)
                    {
                        do ++pi; while (Less(order[pi], pivot));
                        do --pj; while (Less(pivot, order[pj]));
                        if (pi >= pj) break;
                        Swap(order, pi, pj);
                    }
                    Swap(order, pi, pr - 1);
                    // The larger partition waits on the stack.
                    if (pi - pl < pr - pi)
                    {
                        stack.Push((pi + 1, pr, --depth));
                        pr = pi - 1;
                    }
                    else
                    {
                        stack.Push((pl, pi - 1, --depth));
                        pl = pi + 1;
                    }
                }
                for (int i = pl + 1; i <= pr; i++)
                {
                    int vi = order[i], j = i;
                    while (j > pl && Less(vi, order[j - 1]))
                    {
                        order[j] = order[j - 1];
                        j--;
                    }
                    order[j] = vi;
                }
            }
            if (stack.Count == 0) break;
            (pl, pr, depth) = stack.Pop();
        }
        return order;
    }

    static void HeapSort(int[] order, int start, int n, Func<int, int, bool> less)
    {
        // numpy's 1-based heap over order[start .. start + n).
        int A(int i) => order[start + i - 1];
        void Set(int i, int v) => order[start + i - 1] = v;
        for (int l = n >> 1; l > 0; --l) SiftDown(l, n, A(l));
        for (; n > 1;)
        {
            int tmp = A(n);
            Set(n, A(1));
            n--;
            SiftDown(1, n, tmp);
        }

        void SiftDown(int i, int count, int tmp)
        {
            for (int j = i << 1; j <= count;)
            {
                if (j < count && less(A(j), A(j + 1))) j++;
                if (!less(tmp, A(j))) break;
                Set(i, A(j));
                i = j;
                j += j;
            }
            Set(i, tmp);
        }
    }

    static void Swap(int[] a, int i, int j) => (a[i], a[j]) = (a[j], a[i]);

    static int MostSignificantBit(int n)
    {
        int depth = 0;
        while ((n >>= 1) != 0) depth++;
        return depth;
    }
}
