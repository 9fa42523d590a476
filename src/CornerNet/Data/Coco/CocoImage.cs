namespace CornerNet.Data;

/// <summary>One entry of a COCO file's <c>images</c>.</summary>
public sealed record CocoImage(long Id, string FileName, int Width, int Height);
