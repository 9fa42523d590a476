using System.Runtime.CompilerServices;

namespace CornerNet.Evaluation;

/// <summary>
/// Score-descending order with ties in ascending item order: what pycocotools' stable
/// <c>argsort(-scores, kind="mergesort")</c> gives when the items start in their original (ascending) order.
/// </summary>
internal static class ScoreOrder
{
    /// <summary>Sorts <paramref name="items"/> by <c>score[item]</c> descending, equal scores by item
    /// ascending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SortDescending(Span<int> items, double[] score)
    {
        int n = items.Length;
        if (n <= 16)
        {
            // Most (image, class) groups hold a few detections: insertion sort, no allocation.
            for (int i = 1; i < n; i++)
            {
                int item = items[i];
                double s = score[item];
                int j = i - 1;
                while (j >= 0 && (score[items[j]] < s || (score[items[j]] == s && items[j] > item)))
                {
                    items[j + 1] = items[j];
                    j--;
                }
                items[j + 1] = item;
            }
            return;
        }
        var keys = new double[n];
        for (int i = 0; i < n; i++) keys[i] = -score[items[i]];
        keys.AsSpan().Sort(items);
        // The sort is not stable: put the items of equal scores back in ascending order.
        for (int i = 0; i < n;)
        {
            int j = i + 1;
            while (j < n && keys[j] == keys[i]) j++;
            if (j - i > 1) items[i..j].Sort();
            i = j;
        }
    }
}
