using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CornerNet.Data;

namespace CornerNet.Cli.Commands;

/// <summary>
/// The datasets a training run reads, recorded in its folder (<c>dataset.json</c>) so that <c>train --resume RUN</c>
/// finds them without being told again. A dataset given again (e.g. moved) must hold the same images: the same count
/// and the same fingerprint of image ids and file names.
/// </summary>
internal sealed record RunDataset
{
    /// <summary>The record's file name inside a run folder.</summary>
    public const string FileName = "dataset.json";

    /// <summary>The training annotation file (absolute).</summary>
    [JsonPropertyName("annotations")] public required string Annotations { get; init; }

    /// <summary>The training image folder (absolute).</summary>
    [JsonPropertyName("images")] public required string Images { get; init; }

    /// <summary>Number of training images.</summary>
    [JsonPropertyName("image_count")] public required int ImageCount { get; init; }

    /// <summary>SHA-256 of the training images' ids and file names, in file order.</summary>
    [JsonPropertyName("images_sha256")] public required string ImagesSha256 { get; init; }

    /// <summary>The validation dataset folder (<c>--val-data</c>), if any.</summary>
    [JsonPropertyName("validation")] public string? Validation { get; init; }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The record of <paramref name="train"/> (and the <paramref name="validation"/> folder).</summary>
    public static RunDataset Of(CocoDataset train, string? validation) => new()
    {
        Annotations = Path.GetFullPath(train.Annotations.Path),
        Images = Path.GetFullPath(train.ImageDirectory),
        ImageCount = train.Count,
        ImagesSha256 = Fingerprint(train),
        Validation = validation is null ? null : Path.GetFullPath(validation),
    };

    /// <summary>The record in <paramref name="runFolder"/>, or null for a run that has none (written before it was
    /// kept).</summary>
    public static RunDataset? Read(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunDataset>(File.ReadAllText(path), Json)
                ?? throw new InvalidInputException(path, "is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(path, $"is not a dataset record ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>Writes the record into <paramref name="runFolder"/> (atomically).</summary>
    public void Write(string runFolder) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Refuses <paramref name="given"/> unless it holds the images this record describes.</summary>
    public void CheckSame(CocoDataset given, string runFolder)
    {
        if (given.Count == ImageCount && Fingerprint(given) == ImagesSha256) return;
        string differs = given.Count == ImageCount ? ", other ids or file names" : "";
        throw new InvalidInputException(given.Annotations.Path, $"is not the dataset of the run {runFolder} ({given.Count} " +
            $"images against the run's {ImageCount}{differs}, recorded from {Annotations}); resume with that dataset");
    }

    static string Fingerprint(CocoDataset dataset)
    {
        var text = new StringBuilder();
        foreach (var image in dataset.Annotations.Images)
            text.Append(image.Id).Append('\t').Append(image.FileName).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
