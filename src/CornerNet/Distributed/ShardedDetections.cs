using CornerNet.Data;

namespace CornerNet.Distributed;

/// <summary>
/// Testing split over the processes of a job: process r detects images r, r + N, r + 2N… (<see cref="Shard"/>), and
/// <see cref="Gather"/> brings every image's detections to rank 0 in image order, so the result is the list one process
/// detecting all images in order would have made.
/// </summary>
internal static class ShardedDetections
{
    /// <summary>The dataset indices (0…<paramref name="count"/>−1) that <paramref name="group"/>'s process
    /// detects.</summary>
    public static IEnumerable<int> Shard(IProcessGroup group, int count)
    {
        for (int i = group.Rank; i < count; i += group.Size) yield return i;
    }

    /// <summary>
    /// On rank 0: all images' detections in image order and the dataset indices of the images skipped on any rank; null
    /// elsewhere.
    /// <paramref name="mine"/> lists this process's images (dataset index, detections or null when skipped).
    /// </summary>
    public static (List<CocoDetection> Detections, List<int> Skipped)? Gather(IProcessGroup group, IReadOnlyList<(int Index, IReadOnlyList<CocoDetection>? Detections)> mine)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(mine.Count);
            foreach (var (index, detections) in mine)
            {
                writer.Write(index);
                writer.Write(detections?.Count ?? -1);
                foreach (var d in detections ?? [])
                {
                    writer.Write(d.ImageId);
                    writer.Write(d.CategoryId);
                    writer.Write(d.Box.X);
                    writer.Write(d.Box.Y);
                    writer.Write(d.Box.Width);
                    writer.Write(d.Box.Height);
                    writer.Write(d.Score);
                }
            }
        }
        var all = group.Gather(buffer.ToArray(), root: 0);
        if (all is null) return null;
        var byImage = new SortedDictionary<int, List<CocoDetection>?>();
        foreach (var bytes in all)
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            int images = reader.ReadInt32();
            for (int i = 0; i < images; i++)
            {
                int index = reader.ReadInt32();
                int count = reader.ReadInt32();
                List<CocoDetection>? list = count < 0 ? null : new List<CocoDetection>(count);
                for (int k = 0; k < count; k++)
                    list!.Add(new CocoDetection(reader.ReadInt64(), reader.ReadInt64(),
                        new CocoBox(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble()), reader.ReadDouble()));
                byImage[index] = list;
            }
        }
        return (byImage.Values.Where(l => l is not null).SelectMany(l => l!).ToList(), byImage.Where(p => p.Value is null).Select(p => p.Key).ToList());
    }
}
