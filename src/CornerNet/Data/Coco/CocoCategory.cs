namespace CornerNet.Data;

/// <summary>One entry of a COCO file's <c>categories</c>.</summary>
/// <param name="Id">The category id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Supercategory">Its supercategory, or null when the file has none.</param>
public sealed record CocoCategory(long Id, string Name, string? Supercategory);
