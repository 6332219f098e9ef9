using System.Net;
using System.Net.Sockets;
using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A start refused before it opens the data directory logs no start line (<c>agentcrm 1.0.0+… (data format 3), data
/// directory …</c>): it was logged when the server was built, before the checks, so a refused start read as one that had
/// begun (fix35c). A port in use is now told before the data directory is opened too, in Kestrel's own words.
/// </summary>
public sealed class ServeRefusedStartLineCliTests
{
    [Theory]
    [InlineData("port in use", "Failed to bind to address http://127.0.0.1:{port}: address already in use.")]
    [InlineData("bad certificate", "invalid configuration: Kestrel:Certificates:Default:Path: file '/no/such/cert.pfx' not found.")]
    [InlineData("bad listen setting", "invalid configuration: urls: 'http://127.0.0.1:70000': the port must be from 0 to 65535 (0: any free port).")]
    public async Task Serve_RefusedBeforeItStarts_LogsNoStartLine_AndCreatesNoDataDirectory(string refusal, string expected)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var data = Path.Combine(TempDirectory.Create(), "data");
        var environment = new Dictionary<string, string> { ["Knowledge__IngestBundled"] = "false" };
        var url = $"http://127.0.0.1:{port}";
        if (refusal == "bad certificate")
        {
            environment["Kestrel__Certificates__Default__Path"] = "/no/such/cert.pfx";
            url = $"http://127.0.0.1:{ServeProcess.FreePort()}";
        }
        string[] args = ["serve", "--data", data, "--urls", url];
        if (refusal == "bad listen setting")
        {
            environment["ASPNETCORE_URLS"] = "http://127.0.0.1:70000";
            args = ["serve", "--data", data];
        }

        var result = await CliRunner.RunAsync(args, environment, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Equal("agentcrm: " + expected.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), result.Stderr.Trim());
        Assert.DoesNotContain("AgentCrm.Server.Start", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("data directory", result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), $"a start refused for a {refusal} created the data directory");
    }
}
