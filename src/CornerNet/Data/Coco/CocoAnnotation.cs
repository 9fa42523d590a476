namespace CornerNet.Data;

/// <summary>One entry of a COCO file's <c>annotations</c> (a ground-truth box).</summary>
/// <param name="Id">The annotation id.</param>
/// <param name="ImageId">The image it belongs to (an id in <c>images</c>).</param>
/// <param name="CategoryId">Its class (an id in <c>categories</c>).</param>
/// <param name="Box">The box.</param>
/// <param name="Area">The file's <c>area</c> field (in COCO the mask area, not the box area; COCO evaluation uses it
/// for the area ranges).</param>
/// <param name="IsCrowd">The <c>iscrowd</c> flag (false when the key is absent, as pycocotools).</param>
public sealed record CocoAnnotation(long Id, long ImageId, long CategoryId, CocoBox Box, double Area, bool IsCrowd);
