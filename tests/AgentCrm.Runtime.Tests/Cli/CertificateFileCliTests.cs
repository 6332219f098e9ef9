using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A certificate file a Kestrel setting names that is not there: Kestrel found out as it started listening, after a whole
/// first start (agents registered, knowledge ingested, the data directory created), and said only
/// <c>agentcrm: Could not find file '/x.pfx'.</c>, not which setting named it (qa33c). Checked before the data directory
/// is opened, in one line naming the key.
/// </summary>
public sealed class CertificateFileCliTests
{
    [Theory]
    [InlineData("Kestrel__Certificates__Default__Path", "Kestrel:Certificates:Default:Path")]
    [InlineData("Kestrel__Endpoints__Main__Certificate__Path", "Kestrel:Endpoints:Main:Certificate:Path")]
    [InlineData("Kestrel__Certificates__Default__KeyPath", "Kestrel:Certificates:Default:KeyPath")]
    public async Task Serve_ACertificateFileThatIsNotThere_FailsInOneLineNamingTheSetting_AndCreatesNoDataDirectory(string variable, string key)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        var missing = Path.Combine(TempDirectory.Create(), "missing.pfx");
        var url = $"https://127.0.0.1:{ServeProcess.FreePort()}";
        var environment = new Dictionary<string, string> { ["HOME"] = TempDirectory.Create(), [variable] = missing };
        if (variable.StartsWith("Kestrel__Endpoints__", StringComparison.Ordinal))
            environment["Kestrel__Endpoints__Main__Url"] = url;
        if (variable.EndsWith("KeyPath", StringComparison.Ordinal))
        {
            // A certificate that is there, beside a key file that is not.
            var certificate = Path.Combine(TempDirectory.Create(), "server.crt");
            await File.WriteAllTextAsync(certificate, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
            environment["Kestrel__Certificates__Default__Path"] = certificate;
        }

        var result = await CliRunner.RunAsync(["serve", "--urls", url, "--data", data], environment, TimeSpan.FromSeconds(60));

        Assert.Equal($"agentcrm: invalid configuration: {key}: file '{missing}' not found.", DataDirectoryStartTests.OneLineFailure(result));
        Assert.False(Directory.Exists(data), "a start refused for its certificate created the data directory");
    }
}
