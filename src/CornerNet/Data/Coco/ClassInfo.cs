using System.Text.Json.Serialization;

namespace CornerNet.Data;

/// <summary>One object class of a model: its dataset category id (COCO ids have gaps) and its name.</summary>
public sealed record ClassInfo([property: JsonPropertyName("id")] int Id, [property: JsonPropertyName("name")] string Name);
