using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AgentCrm.Cli;
using AgentCrm.Runtime.Tests.Server;
using Microsoft.Extensions.Configuration;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// Kestrel settings that Kestrel refused only once the server had started (the data directory created and initialised), in
/// words naming no setting (fix34a): an endpoint URL whose port is out of range ("Specified argument was out of the range of
/// valid values. (Parameter 'port')"), a certificate password that does not open the PFX, a file that is no certificate.
/// serve checks them before anything is opened, in one line naming the key, as it checks the certificate files (fix33c).
/// </summary>
public sealed class KestrelSettingsCliTests
{
    [Fact]
    public async Task Serve_AnEndpointUrlWithAPortOutOfRange_FailsInOneLineNamingTheKey_AndCreatesNoDataDirectory()
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        var environment = new Dictionary<string, string> { ["HOME"] = TempDirectory.Create(), ["Kestrel__Endpoints__Main__Url"] = "http://127.0.0.1:70000" };

        var result = await CliRunner.RunAsync(["serve", "--data", data], environment, TimeSpan.FromSeconds(60));

        Assert.Equal("agentcrm: invalid configuration: Kestrel:Endpoints:Main:Url: 'http://127.0.0.1:70000': the port must be from 0 to 65535 (0: any free port).",
            DataDirectoryStartTests.OneLineFailure(result));
        Assert.False(Directory.Exists(data), "a start refused for its endpoint created the data directory");
    }

    [Theory]
    [InlineData("wrong-password")]
    [InlineData("not-a-certificate")]
    public async Task Serve_ACertificateThatDoesNotLoad_FailsInOneLineNamingTheKey_AndCreatesNoDataDirectory(string how)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        var folder = TempDirectory.Create();
        var file = Path.Combine(folder, "tls.pfx");
        if (how == "wrong-password")
        {
            using var certificate = SelfSigned(out var key);
            using (key)
                await File.WriteAllBytesAsync(file, certificate.Export(X509ContentType.Pfx, "right"));
        }
        else
            await File.WriteAllTextAsync(file, "this is not a certificate\n");
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = TempDirectory.Create(),
            ["Kestrel__Certificates__Default__Path"] = file,
            ["Kestrel__Certificates__Default__Password"] = "wrong",
        };

        var result = await CliRunner.RunAsync(["serve", "--urls", $"https://127.0.0.1:{ServeProcess.FreePort()}", "--data", data], environment, TimeSpan.FromSeconds(60));

        var line = DataDirectoryStartTests.OneLineFailure(result);
        Assert.StartsWith(how == "wrong-password"
            ? $"agentcrm: invalid configuration: Kestrel:Certificates:Default:Password: does not open '{file}' ("
            : $"agentcrm: invalid configuration: Kestrel:Certificates:Default:Path: '{file}' cannot be loaded as a certificate (", line);
        Assert.DoesNotContain("\"wrong\"", line);
        Assert.False(Directory.Exists(data), "a start refused for its certificate created the data directory");
    }

    /// <summary>The check loads what Kestrel loads: a PFX with its password, a PEM certificate with its key (plain or encrypted).</summary>
    [Fact]
    public void CertificatesThatLoad_PassTheCheck_AndAKeyOfAnotherCertificateIsNamed()
    {
        var folder = TempDirectory.Create();
        using var certificate = SelfSigned(out var key);
        using var _ = key;
        File.WriteAllBytes(Path.Combine(folder, "tls.pfx"), certificate.Export(X509ContentType.Pfx, "right"));
        File.WriteAllText(Path.Combine(folder, "tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, "tls-encrypted.key"),
            key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        using var other = RSA.Create(2048);
        File.WriteAllText(Path.Combine(folder, "other.key"), other.ExportPkcs8PrivateKeyPem());

        Assert.Null(Problem(folder, ("Certificates:Default:Path", "tls.pfx"), ("Certificates:Default:Password", "right")));
        Assert.Null(Problem(folder, ("Endpoints:Main:Certificate:Path", "tls.crt"), ("Endpoints:Main:Certificate:KeyPath", "tls.key")));
        Assert.Null(Problem(folder, ("Certificates:Default:Path", "tls.crt"), ("Certificates:Default:KeyPath", "tls-encrypted.key"), ("Certificates:Default:Password", "secret")));
        Assert.StartsWith("Kestrel:Certificates:Default:KeyPath: 'other.key' is not the private key of 'tls.crt'",
            Problem(folder, ("Certificates:Default:Path", "tls.crt"), ("Certificates:Default:KeyPath", "other.key")));
        Assert.StartsWith("Kestrel:Certificates:Default:KeyPath: 'tls-encrypted.key' does not load with Kestrel:Certificates:Default:Password",
            Problem(folder, ("Certificates:Default:Path", "tls.crt"), ("Certificates:Default:KeyPath", "tls-encrypted.key"), ("Certificates:Default:Password", "wrong")));
        Assert.StartsWith("Kestrel:Certificates:Default:Path: 'tls.pfx' does not open without a password",
            Problem(folder, ("Certificates:Default:Path", "tls.pfx")));
    }

    private static string? Problem(string contentRoot, params (string Key, string Value)[] settings) =>
        ServeCommand.CertificateFileProblem(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Kestrel:" + s.Key, s.Value))).Build(), contentRoot);

    private static X509Certificate2 SelfSigned(out RSA key)
    {
        key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }
}
