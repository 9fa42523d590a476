using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CornerNet.Serving;
using CornerNet.Tests.Data;
using Microsoft.Playwright;

namespace CornerNet.Tests.Serving;

/// <summary>The server's API key (<see cref="ServerOptions.ApiKey"/>): <c>Authorization: Bearer KEY</c> on
/// <c>/v1/detect</c>, optionally on <c>/metrics</c>; everything else stays open.</summary>
public class ServerAuthTests
{
    const string Key = "0123456789abcdef0123456789abcdef";

    static async Task<HttpResponseMessage> DetectAsync(HttpClient client, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect")
        {
            Content = new ByteArrayContent(TestImageFiles.Encode("png", 64, 48)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await client.SendAsync(request);
    }

    /// <summary>A 401 with the one-line JSON error and a Bearer challenge; returns the error.</summary>
    static async Task<string> AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.Single().ToString());
        string text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain('\n', text);
        return JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
    }

    static Task<DetectionServerTests.RunningServer> StartKeyedAsync() =>
        DetectionServerTests.RunningServer.StartAsync(new ServerOptions { ApiKey = Key });

    [Fact]
    public async Task DetectNeedsTheKeyMissingAndWrongAre401RightIs200()
    {
        await using var running = await StartKeyedAsync();

        string missing = await AssertUnauthorizedAsync(await DetectAsync(running.Client, null));
        Assert.Contains("Authorization: Bearer", missing);
        var wrong = await DetectAsync(running.Client, "Bearer not-the-key");
        string wrongError = await AssertUnauthorizedAsync(wrong);
        Assert.Contains("wrong API key", wrongError);
        Assert.DoesNotContain("not-the-key", wrongError);
        Assert.Contains("invalid_token", wrong.Headers.WwwAuthenticate.Single().ToString());
        await AssertUnauthorizedAsync(await DetectAsync(running.Client, $"Basic {Key}"));
        await AssertUnauthorizedAsync(await DetectAsync(running.Client, Key));

        var right = await DetectAsync(running.Client, $"Bearer {Key}");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var answer = JsonDocument.Parse(await right.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("shapes-tiny", answer.GetProperty("model").GetString());
        // The scheme name is case-insensitive (RFC 9110).
        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(running.Client, $"bearer {Key}")).StatusCode);

        var metrics = await running.Client.GetStringAsync("/metrics");
        Assert.Contains("cornernet_requests_total{code=\"401\"} 4", metrics);
        Assert.Contains("cornernet_requests_total{code=\"200\"} 2", metrics);
    }

    [Fact]
    public async Task KeysThatDifferAnywhereAreRefusedWhateverTheirLength()
    {
        // The comparison covers every byte and any length: a prefix, an extension, one changed last or first
        // character, and a different case are all wrong.
        await using var running = await StartKeyedAsync();
        string[] near = [Key[..^1], Key + "0", Key[..^1] + "e", "1" + Key[1..], Key.ToUpperInvariant(), Key[..1],
            Key + Key, new string('0', Key.Length)];
        foreach (string candidate in near)
        {
            var response = await DetectAsync(running.Client, $"Bearer {candidate}");
            Assert.Contains("wrong API key", await AssertUnauthorizedAsync(response));
        }
        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(running.Client, $"Bearer {Key}")).StatusCode);
    }

    [Fact]
    public async Task HealthzPageAndOpenApiStayOpenAndMetricsAreOpenUnlessProtected()
    {
        await using (var open = await DetectionServerTests.RunningServer.StartAsync(new ServerOptions { ApiKey = Key }))
        {
            Assert.Equal(HttpStatusCode.OK, (await open.Client.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await open.Client.GetAsync("/")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await open.Client.GetAsync("/openapi/v1.json")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await open.Client.GetAsync("/metrics")).StatusCode);
        }
        await using var running = await DetectionServerTests.RunningServer.StartAsync(
            new ServerOptions { ApiKey = Key, ProtectMetrics = true });
        Assert.Equal(HttpStatusCode.OK, (await running.Client.GetAsync("/healthz")).StatusCode);
        await AssertUnauthorizedAsync(await running.Client.GetAsync("/metrics"));
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nope");
        await AssertUnauthorizedAsync(await running.Client.SendAsync(wrong));
        var right = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var answer = await running.Client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("cornernet_queue_length", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApiDocumentDeclaresTheBearerSchemeOnlyWhereItIsRequired()
    {
        await using (var open = await DetectionServerTests.RunningServer.StartAsync())
        {
            var document = JsonDocument.Parse(await open.Client.GetStringAsync("/openapi/v1.json")).RootElement;
            Assert.False(document.TryGetProperty("components", out var components)
                && components.TryGetProperty("securitySchemes", out _));
            var post = document.GetProperty("paths").GetProperty("/v1/detect").GetProperty("post");
            Assert.False(post.TryGetProperty("security", out _));
        }
        await using var running = await DetectionServerTests.RunningServer.StartAsync(
            new ServerOptions { ApiKey = Key, ProtectMetrics = true });
        var keyed = JsonDocument.Parse(await running.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        var scheme = keyed.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var paths = keyed.GetProperty("paths");
        foreach (var (path, method) in new[] { ("/v1/detect", "post"), ("/metrics", "get") })
        {
            var operation = paths.GetProperty(path).GetProperty(method);
            Assert.True(operation.GetProperty("security")[0].TryGetProperty("apiKey", out _), path);
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), path);
        }
        Assert.False(paths.GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _));
        Assert.DoesNotContain(Key, keyed.GetRawText());
    }

    [Fact]
    public void UnusableKeysAndProtectedMetricsWithoutAKeyAreRefusedAndTheKeyIsNeverPrinted()
    {
        foreach (string bad in new[] { "", "two words", "line\nbreak", "tab\tkey", "caf\u00e9" })
        {
            var e = Assert.Throws<ArgumentException>(() => new ServerOptions { ApiKey = bad }.Validate());
            Assert.Equal(nameof(ServerOptions.ApiKey), e.ParamName);
        }
        Assert.Equal(nameof(ServerOptions.ProtectMetrics),
            Assert.Throws<ArgumentException>(() => new ServerOptions { ProtectMetrics = true }.Validate()).ParamName);
        var options = new ServerOptions { ApiKey = Key, ProtectMetrics = true };
        options.Validate();
        Assert.DoesNotContain(Key, options.ToString());
        Assert.Contains("Port = 8080", options.ToString());
    }

    [ChromiumFact]
    public async Task WebPageSendsTheKeyTypedIntoItsKeyField()
    {
        await using var running = await StartKeyedAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(
            new() { ExecutablePath = WebPageTests.Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(running.Server.Url + "/");
        string image = DetectionServerTests.SamplePath(7);

        // Without the key the page shows the server's 401 message.
        await page.SetInputFilesAsync("#file", image);
        await page.WaitForFunctionAsync("document.getElementById('status').className === 'error'");
        Assert.Contains("API key", await page.TextContentAsync("#status"));

        await page.FillAsync("#apiKey", Key);
        await page.SetInputFilesAsync("#file", Array.Empty<string>());
        await page.SetInputFilesAsync("#file", image);
        await page.WaitForFunctionAsync("document.querySelectorAll('#detections tbody tr').length > 0");
        Assert.Equal(Key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('cornernet-api-key')"));
        // A reload in the same tab keeps the key.
        await page.ReloadAsync();
        Assert.Equal(Key, await page.InputValueAsync("#apiKey"));
    }
}
