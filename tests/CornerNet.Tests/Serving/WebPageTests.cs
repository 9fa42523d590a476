using CornerNet.Inference;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CornerNet.Tests.Serving;

/// <summary>The server's web page in a real headless Chromium (Debian's, driven by Playwright; no browser download).</summary>
public class WebPageTests(ITestOutputHelper output)
{
    internal const string Chromium = "/usr/bin/chromium";

    [ChromiumFact]
    public async Task UploadedImageGetsBoxesAndTheSliderFiltersTheTable()
    {
        await using var running = await DetectionServerTests.RunningServer.StartAsync();
        string image = DetectionServerTests.SamplePath(7);
        var all = running.Detector.Detect(image);
        var expected = all.Where(d => d.Score >= 0.3f).ToList();
        int aboveHalf = all.Count(d => d.Score >= 0.5f), aboveZero = all.Count(d => d.Score >= 0f);
        Assert.NotEmpty(expected);
        Assert.True(aboveZero > expected.Count);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 900, Height = 900 } });
        await page.GotoAsync(running.Server.Url + "/");
        await page.SetInputFilesAsync("#file", image);
        await page.WaitForFunctionAsync("document.querySelectorAll('#detections tbody tr').length > 0");

        // The table at the page's default threshold (0.3) lists the detector's classes in score order.
        var classes = await page.EvalOnSelectorAllAsync<string[]>("#detections tbody tr", "rows => rows.map(r => r.cells[0].textContent)");
        Assert.Equal(expected.Select(d => d.ClassName), classes);
        Assert.Equal(expected.Count.ToString(), await page.EvalOnSelectorAsync<string>("#canvas", "c => c.dataset.boxes"));
        // The canvas differs from the bare image where boxes were drawn.
        int changed = await page.EvaluateAsync<int>(@"async () => {
            const canvas = document.getElementById('canvas');
            const bare = document.createElement('canvas');
            bare.width = canvas.width; bare.height = canvas.height;
            const file = document.getElementById('file').files[0];
            bare.getContext('2d').drawImage(await createImageBitmap(file), 0, 0, canvas.width, canvas.height);
            const a = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const b = bare.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
            return n; }");
        Assert.True(changed > 100, $"only {changed} canvas pixels differ from the image");
        string screenshot = Path.Combine(Path.GetTempPath(), "cornernet-web-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot {screenshot}");

        async Task<int> RowsAt(double threshold)
        {
            await page.EvalOnSelectorAsync("#threshold", $"s => {{ s.value = '{threshold}'; s.dispatchEvent(new Event('input')); }}");
            return await page.EvalOnSelectorAllAsync<int>("#detections tbody tr", "rows => rows.length");
        }
        Assert.Equal(aboveHalf, await RowsAt(0.5));
        Assert.Equal(aboveZero, await RowsAt(0));
        Assert.Equal(expected.Count, await RowsAt(0.3));
    }
}

/// <summary>A fact that drives Debian's Chromium; skipped with a clear reason when it is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when /usr/bin/chromium is missing.</summary>
    public ChromiumFactAttribute()
    {
        if (!File.Exists(WebPageTests.Chromium)) Skip = $"{WebPageTests.Chromium} not found (install it: apt-get install chromium; .ci/run does)";
    }
}
