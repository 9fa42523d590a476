using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CornerNet.Tests.Data;

namespace CornerNet.Tests.Serving;

/// <summary>Multipart bodies the form reader cannot read: a 400 with the one-line JSON error, never a 500, and the
/// server keeps serving on the same connection.</summary>
public class MalformedRequestTests
{
    const string Boundary = "cornernet-test-boundary";

    static string Part(string headers, string content) => $"--{Boundary}\r\n{headers}\r\n\r\n{content}\r\n";

    static readonly string ImagePart = Part("Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
        + "Content-Type: image/png", "PNGBYTES");

    public static TheoryData<string, string, string> Bodies => new()
    {
        // name, Content-Type, body
        { "closing boundary missing", $"multipart/form-data; boundary={Boundary}", ImagePart },
        { "truncated inside a part", $"multipart/form-data; boundary={Boundary}", ImagePart[..60] },
        { "truncated inside the headers", $"multipart/form-data; boundary={Boundary}",
            $"--{Boundary}\r\nContent-Dispo" },
        { "no boundary parameter", "multipart/form-data", ImagePart + $"--{Boundary}--\r\n" },
        { "empty boundary parameter", "multipart/form-data; boundary=", ImagePart + $"--{Boundary}--\r\n" },
        { "header line over the limit", $"multipart/form-data; boundary={Boundary}",
            Part("Content-Disposition: form-data; name=\"image\"; filename=\"" + new string('a', 20_000) + "\"", "x")
            + $"--{Boundary}--\r\n" },
        { "header without a colon", $"multipart/form-data; boundary={Boundary}",
            Part("Content-Disposition form-data name image", "x") + $"--{Boundary}--\r\n" },
        { "part without Content-Disposition", $"multipart/form-data; boundary={Boundary}",
            Part("Content-Type: image/png", "x") + $"--{Boundary}--\r\n" },
        { "body not starting with the boundary", $"multipart/form-data; boundary={Boundary}",
            "garbage, no parts here" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task MalformedMultipartIs400JsonAndTheNextRequestSucceeds(string name, string contentType, string body)
    {
        await using var running = await DetectionServerTests.RunningServer.StartAsync();
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await running.Client.PostAsync("/v1/detect", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest,
            $"{name}: HTTP {(int)response.StatusCode} '{text}'");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain('\n', text);
        string error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(error), name);
        Assert.DoesNotContain("Exception", error);

        // The same client (and, when the body was read to its end, the same connection) gets a detection next.
        using var image = new ByteArrayContent(TestImageFiles.Encode("png", 64, 48));
        image.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var next = await running.Client.PostAsync("/v1/detect", image);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        var metrics = await running.Client.GetStringAsync("/metrics");
        Assert.Contains("cornernet_requests_total{code=\"400\"} 1", metrics);
        Assert.DoesNotContain("code=\"500\"", metrics);
    }

    [Fact]
    public async Task ClosingBoundaryMissingSaysSo()
    {
        await using var running = await DetectionServerTests.RunningServer.StartAsync();
        var image = Encoding.Latin1.GetString(TestImageFiles.Encode("png", 64, 48));
        string body = Part("Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"", image);
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");
        var response = await running.Client.PostAsync("/v1/detect", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Contains("closing boundary", error.GetString());

        // The same image in a complete form is detected.
        using var complete = new ByteArrayContent(Encoding.Latin1.GetBytes(body + $"--{Boundary}--\r\n"));
        complete.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={Boundary}");
        Assert.Equal(HttpStatusCode.OK, (await running.Client.PostAsync("/v1/detect", complete)).StatusCode);
    }
}
