using System.Text.Json.Serialization;

namespace CornerNet.Serving;

/// <summary>The answer of <c>POST /v1/detect</c>: the image size, its objects (best first) and where the time
/// went.</summary>
public sealed record DetectionResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("objects")] IReadOnlyList<ObjectResponse> Objects,
    [property: JsonPropertyName("timing_ms")] TimingResponse TimingMs);

/// <summary>One detected object; <c>box</c> is [x1, y1, x2, y2] in image pixels.</summary>
public sealed record ObjectResponse(
    [property: JsonPropertyName("class_id")] int ClassId,
    [property: JsonPropertyName("class_name")] string ClassName,
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("box")] float[] Box);

/// <summary>Milliseconds spent decoding, waiting in the queue, in the (batched) network run, and in total.</summary>
public sealed record TimingResponse(
    [property: JsonPropertyName("decode")] double Decode,
    [property: JsonPropertyName("queue")] double Queue,
    [property: JsonPropertyName("inference")] double Inference,
    [property: JsonPropertyName("total")] double Total,
    [property: JsonPropertyName("batch_size")] int BatchSize);

/// <summary>A one-line error answer.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);
