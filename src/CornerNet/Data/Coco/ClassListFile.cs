using System.Text.Json;

namespace CornerNet.Data;

/// <summary>
/// Reads a class list for a model from JSON: a list of names (ids become 1, 2, …), a list of {id, name}, or a COCO
/// annotation file (its <c>categories</c>, sorted by id as the official CornerNet orders COCO classes).
/// </summary>
internal static class ClassListFile
{
    /// <summary>Reads <paramref name="path"/>; throws <see cref="InvalidInputException"/> naming the file on bad
    /// content.</summary>
    public static IReadOnlyList<ClassInfo> Read(string path)
    {
        InputFile.RequireRegular(path);
        if (!File.Exists(path)) throw new InvalidInputException(path, "file not found");
        var bytes = InputFile.ReadAllBytes(path, InputLimits.Default.MaxJsonBytes, "InputLimits.MaxJsonBytes");
        InputFile.RequireUtf8(bytes, 0, path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new InvalidInputException(path, $"not valid JSON ({e.Message.Split('\n')[0]})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("categories", out var categories))
                return ParseList(path, categories, "categories").OrderBy(c => c.Id).ToArray();
            if (root.ValueKind == JsonValueKind.Array) return ParseList(path, root, "list");
            throw new InvalidInputException(path, "expected a JSON list of class names, a list of {id, name}, or a COCO file with 'categories'");
        }
    }

    static List<ClassInfo> ParseList(string path, JsonElement list, string what)
    {
        if (list.ValueKind != JsonValueKind.Array) throw new InvalidInputException(path, $"{what} is not a list");
        var result = new List<ClassInfo>();
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
                result.Add(new ClassInfo(index + 1, item.GetString()!));
            else if (item.ValueKind == JsonValueKind.Object
                     && item.TryGetProperty("id", out var id) && id.TryGetInt32(out int idValue)
                     && item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                result.Add(new ClassInfo(idValue, name.GetString()!));
            else
                throw new InvalidInputException(path, $"{what}[{index}] is neither a name nor an object with integer 'id' and string 'name'");
            index++;
        }
        if (result.Count == 0) throw new InvalidInputException(path, $"{what} is empty");
        var duplicate = result.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new InvalidInputException(path, $"class id {duplicate.Key} appears {duplicate.Count()} times");
        return result;
    }
}
