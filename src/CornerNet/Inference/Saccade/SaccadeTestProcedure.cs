using CornerNet.Data;
using CornerNet.Model;
using static TorchSharp.torch;

namespace CornerNet.Inference;

/// <summary>
/// The CornerNet-Saccade test procedure (CornerNet-Lite <c>cornernet_saccade_inference</c>): a pass over the photo
/// downsized to each init size, attention and confident detections turned into crop locations, rounds of crops
/// decoded at the network input size, and per-class soft-NMS over all detections. Reproduces the official float
/// arithmetic, and with it which crops are taken (docs/SACCADE.md).
/// </summary>
internal sealed class SaccadeTestProcedure(
    SaccadeModel model, SaccadeTestSettings settings, ImageNormalization normalization)
{
    /// <summary>The official code decodes at most this many crops per forward.</summary>
    const int BatchSize = 32;

    /// <summary>Location NMS threshold of the official code.</summary>
    const double LocationNmsThreshold = 16;

    readonly CornerDecoder decoder = Checked(model, settings);

    static CornerDecoder Checked(SaccadeModel model, SaccadeTestSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(model.Config.Levels);
        return new CornerDecoder(settings.Decode);
    }

    /// <summary>Runs the procedure on <paramref name="image"/>.</summary>
    public SaccadeResult Run(BgrImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        int height = image.Height, width = image.Width, rounds = settings.AttentionThresholds.Length;
        var photo = SaccadeCrops.PhotoTensor(image);
        // Crops keep the photo's channels; an RGB model gets them swapped once here.
        if (normalization.Rgb) photo = photo.flip(0);
        var trace = new List<SaccadeRound>();

        var first = Pass(photo, SaccadeCrops.FirstPassLocations(height, width, settings.InitSizes), false, true);
        var scales = first.Locations.Select(l => l.Scale).ToArray();
        var next = SaccadeAttention.Locations(first.AttentionPeaks, settings.AttentionScales[0],
            settings.AttentionRatios, scales, first.Offsets, height, width, settings.AttentionThresholds[0],
            ignoreSame: false);
        first.FromAttention = next;
        if (settings.ReferenceDetections)
            next = Follow(first, next);
        first.Next = next;
        trace.Add(first);

        IReadOnlyList<SaccadeLocation> locations = next;
        int crops = 0;
        for (int round = 1; round <= rounds && locations.Count > 0; round++)
        {
            if (crops + locations.Count > settings.MaxCrops)
                locations = locations.Take(settings.MaxCrops - crops).ToList();
            crops += locations.Count;
            var pass = Pass(photo, locations, round == rounds, false);
            trace.Add(pass);
            if (crops == settings.MaxCrops) break;
            if (round < rounds)
            {
                var fromAttention = SaccadeAttention.Locations(pass.AttentionPeaks,
                    settings.AttentionScales[round], settings.AttentionRatios,
                    locations.Select(l => l.Scale).ToArray(), pass.Offsets, height, width,
                    settings.AttentionThresholds[round], ignoreSame: true);
                pass.FromAttention = fromAttention;
                locations = settings.ReferenceDetections ? Follow(pass, fromAttention) : fromAttention;
                pass.Next = locations;
            }
        }

        var merged = trace.SelectMany(r => r.Kept).ToList();
        var (final, arrays) = SaccadeDetections.Merge(merged, model.Config.Classes, settings.SoftNms,
            settings.MaxPerImage);
        return new SaccadeResult(trace, merged, arrays, final);
    }

    /// <summary>Adds the reference locations of <paramref name="pass"/>'s kept rows and suppresses; records
    /// both.</summary>
    static List<SaccadeLocation> Follow(SaccadeRound pass, List<SaccadeLocation> fromAttention)
    {
        var references = SaccadeLocations.FromDetections(pass.Kept);
        pass.References = references;
        var next = SaccadeLocations.Suppress(fromAttention.Concat(references).ToList(), LocationNmsThreshold);
        pass.Next = next;
        return next;
    }

    /// <summary>Crops, decodes and maps one pass's detections to the photo.</summary>
    SaccadeRound Pass(Tensor photo, IReadOnlyList<SaccadeLocation> locations, bool noAttention, bool firstPass)
    {
        using var scope = NewDisposeScope();
        var (images, offsets) = SaccadeCrops.Prepare(photo, locations, settings.InputSize[0], settings.InputSize[1]);
        SaccadeCrops.Normalize(images, normalization);
        var detections = new List<Tensor>();
        var attentions = new List<Tensor>[settings.AttentionRatios.Length];
        var peaks = new List<Tensor>[settings.AttentionRatios.Length];
        for (int i = 0; i < attentions.Length; i++) (attentions[i], peaks[i]) = ([], []);
        using (no_grad())
        {
            for (long start = 0; start < images.shape[0]; start += BatchSize)
            {
                var batch = images.narrow(0, start, Math.Min(BatchSize, images.shape[0] - start));
                using var outputs = model.forward(batch);
                detections.Add(decoder.Decode(outputs.LastHeads));
                if (noAttention) continue;
                var maps = outputs.LastAttentionLogits.Select(l => l.sigmoid()).ToArray();
                var suppressed = SaccadeAttention.Peaks(maps, settings.AttentionNmsKernels);
                for (int i = 0; i < maps.Length; i++)
                {
                    attentions[i].Add(maps[i]);
                    peaks[i].Add(suppressed[i]);
                }
            }
        }
        var raw = SaccadeRound.Copy(cat(detections, 0));
        var remapped = (float[])raw.Clone();
        int rowsPerImage = raw.Length / SaccadeDetections.Columns / locations.Count;
        SaccadeDetections.ToPhoto(remapped, rowsPerImage, locations.Select(l => l.Scale).ToArray(), offsets,
            settings.InputSize, settings.OutputSize, firstPass);
        return new SaccadeRound
        {
            Locations = locations,
            Offsets = offsets,
            Input = SaccadeRound.Copy(images),
            Detections = raw,
            Attentions = noAttention ? [] : attentions.Select(a => SaccadeAttentionMaps.From(cat(a, 0))).ToArray(),
            AttentionPeaks = noAttention ? [] : peaks.Select(a => SaccadeAttentionMaps.From(cat(a, 0))).ToArray(),
            Remapped = remapped,
            Kept = SaccadeDetections.Kept(remapped, firstPass ? 0.3f : -1f),
        };
    }
}
