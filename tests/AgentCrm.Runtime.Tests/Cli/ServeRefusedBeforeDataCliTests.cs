using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// A start refused for its listen addresses leaves nothing behind: the addresses are checked before the data directory is
/// opened. An address not of this machine, or https:// without a certificate, created and initialised a new data directory
/// (agents registered, knowledge files) before the refusal (qa28).
/// </summary>
public sealed class ServeRefusedBeforeDataCliTests
{
    [Theory]
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never an interface's address.
    [InlineData("http://192.0.2.1", "--urls", "192.0.2.1 is not an address of this machine")]
    [InlineData("https://127.0.0.1", "--urls", "HTTPS needs a certificate")]
    [InlineData("http://192.0.2.1", "urls", "192.0.2.1 is not an address of this machine")]
    public async Task Serve_ListenAddressItCannotUse_FailsInOneLine_AndCreatesNoDataDirectory(string address, string givenAs, string expected)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");
        var url = $"{address}:{ServeProcess.FreePort()}";
        // A HOME of its own: no developer certificate this machine's user may have made.
        var environment = new Dictionary<string, string> { ["HOME"] = TempDirectory.Create() };
        if (givenAs == "urls")
            environment["ASPNETCORE_URLS"] = url;

        var result = await CliRunner.RunAsync(givenAs == "urls" ? ["serve", "--data", data] : ["serve", "--urls", url, "--data", data], environment, TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        var error = Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("agentcrm: ", StringComparison.Ordinal));
        Assert.StartsWith($"agentcrm: {givenAs}: '{url}': {expected}", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "a start refused for its listen addresses created the data directory");
    }
}
