using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CornerNet.Cli.Commands;
using CornerNet.Serving;
using CornerNet.Tests.Cli;
using CornerNet.Tests.Data;

namespace CornerNet.Tests.Serving;

/// <summary>HTTPS with <see cref="ServerOptions.Certificate"/> (<c>--tls-certificate</c>, <c>--tls-key</c>): a
/// self-signed certificate made here, trusted by the test client only.</summary>
public sealed class ServerTlsTests : IDisposable
{
    const string Key = "tls-test-key-0123456789";
    readonly string _dir = Directory.CreateTempSubdirectory("serve-tls-").FullName;
    readonly RSA _rsa = RSA.Create(2048);
    readonly X509Certificate2 _certificate;

    public ServerTlsTests()
    {
        var request = new CertificateRequest("CN=127.0.0.1", _rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _rsa.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task ServerSpeaksHttpsWithTheCertificateAndStillChecksTheKey()
    {
        await using var running = await DetectionServerTests.RunningServer.StartAsync(
            new ServerOptions { ApiKey = Key, Certificate = _certificate });
        Assert.StartsWith("https://127.0.0.1:", running.Server.Url);
        string? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate?.Thumbprint;
                return certificate?.Thumbprint == _certificate.Thumbprint;
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(running.Server.Url) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(_certificate.Thumbprint, seen);

        async Task<HttpStatusCode> Detect(string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect")
            {
                Content = new ByteArrayContent(TestImageFiles.Encode("png", 64, 48)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await client.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await Detect(null));
        Assert.Equal(HttpStatusCode.OK, await Detect(Key));

        // Plain HTTP to the HTTPS port gets no answer.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var httpUrl = "http://" + running.Server.Url["https://".Length..] + "/healthz";
        var answer = await Record.ExceptionAsync(async () =>
        {
            var response = await plain.GetAsync(httpUrl);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        });
        Assert.True(answer is null or HttpRequestException, answer?.ToString());
    }

    [Fact]
    public void CertificateWithoutItsPrivateKeyIsRefused()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(_certificate.Export(X509ContentType.Cert));
        var e = Assert.Throws<ArgumentException>(() => new ServerOptions { Certificate = publicOnly }.Validate());
        Assert.Equal(nameof(ServerOptions.Certificate), e.ParamName);
    }

    [Fact]
    public void NetworkWarningNamesWhatIsMissing()
    {
        var both = new ServerOptions { Host = "0.0.0.0", ApiKey = Key, Certificate = _certificate };
        Assert.Null(ServeCommand.NetworkWarning(both));
        string open = ServeCommand.NetworkWarning(both with { ApiKey = null })!;
        Assert.Contains("open (no API key)", open);
        Assert.DoesNotContain("unencrypted", open);
        Assert.Contains("--tls-certificate", ServeCommand.NetworkWarning(both with { Certificate = null })!);
    }

    string Pem(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void CliLoadsPemFilesAndRefusesBadOnesInOneLine()
    {
        string cert = Pem("cert.pem", _certificate.ExportCertificatePem());
        string key = Pem("key.pem", _rsa.ExportPkcs8PrivateKeyPem());
        string apiKey = Pem("api.key", Key + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(apiKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string garbage = Pem("garbage.pem", "not a PEM file\n");

        // With a key and a certificate, a foreign host (RFC 5737, never this machine's) gets no warning: the only
        // line is the bind failure.
        var (code, _, error) = CliRunner.Run("serve", DetectionServerTests.ModelPath, "--precision", "fp32",
            "--layout", "nchw", "--host", "192.0.2.1", "--port", "0", "--api-key-file", apiKey,
            "--tls-certificate", cert, "--tls-key", key);
        CliRunner.AssertOneLineError(code, error, "cannot listen on 192.0.2.1");

        foreach (var (args, says) in new (string[] Args, string Says)[]
        {
            (["--tls-certificate", cert], "go together"),
            (["--tls-key", key], "go together"),
            (["--tls-certificate", garbage, "--tls-key", key], garbage),
            (["--tls-certificate", cert, "--tls-key", garbage], garbage),
            (["--tls-certificate", Path.Combine(_dir, "missing.pem"), "--tls-key", key], "missing.pem"),
            (["--tls-certificate", cert, "--tls-key", "/dev/null"], "/dev/null"),
        })
        {
            (code, _, error) = CliRunner.Run(["serve", DetectionServerTests.ModelPath, .. args]);
            CliRunner.AssertOneLineError(code, error, says);
        }
    }
}
