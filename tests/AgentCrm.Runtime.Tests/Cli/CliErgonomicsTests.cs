using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// The CLI's one-line errors where .NET's own would show (listen addresses, manifest files), usage errors pointing to the
/// verb's own help with a "did you mean", and lists whose columns stay aligned: the real agentcrm process.
/// </summary>
public sealed class CliErgonomicsTests
{
    [Theory]
    [InlineData("", "--urls: give at least one listen address, such as http://127.0.0.1:5080.")]
    [InlineData(" ; ", "--urls: give at least one listen address, such as http://127.0.0.1:5080.")]
    [InlineData("http://127.0.0.1:99999", "--urls: 'http://127.0.0.1:99999': the port must be from 0 to 65535 (0: any free port).")]
    [InlineData("http://127.0.0.1:-1", "--urls: 'http://127.0.0.1:-1': the port must be from 0 to 65535 (0: any free port).")]
    [InlineData("http://127.0.0.1:5080/app", "--urls: 'http://127.0.0.1:5080/app': paths are not supported in listen addresses; give scheme://host:port, such as http://127.0.0.1:5080.")]
    [InlineData("ftp://127.0.0.1:21", "--urls: 'ftp://127.0.0.1:21': only http:// and https:// listen addresses are supported.")]
    public async Task Serve_AListenAddressKestrelWouldRefuse_IsAUsageErrorNamingUrls_BeforeTheDataDirectoryIsOpened(string urls, string expected)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync(["serve", "--urls", urls, "--data", data], timeLimit: TimeSpan.FromSeconds(30));

        Assert.Equal((2, $"agentcrm: {expected} (see agentcrm serve --help)"), (result.ExitCode, result.Stderr.Trim()));
        Assert.False(Directory.Exists(data), "the data directory was opened before the usage error");
    }

    [Fact]
    public async Task Serve_APortOutOfRangeInTheSetting_IsOneLineNamingTheSetting()
    {
        var result = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:70000" },
            TimeSpan.FromSeconds(30));

        Assert.Equal((1, "agentcrm: invalid configuration: urls: 'http://127.0.0.1:70000': the port must be from 0 to 65535 (0: any free port)."),
            (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public async Task Serve_AnAddressThatIsNotThisMachines_IsNamedAsSuch()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never an interface's address.
        var url = $"http://192.0.2.1:{ServeProcess.FreePort()}";

        var result = await CliRunner.RunAsync(["serve", "--urls", url, "--data", TempDirectory.Create()], timeLimit: TimeSpan.FromSeconds(30));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"agentcrm: --urls: '{url}': 192.0.2.1 is not an address of this machine; listen on one of its addresses, 127.0.0.1, or 0.0.0.0 (every interface).",
            LastLine(result.Stderr));
        Assert.DoesNotContain("SocketException", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_HttpsWithoutACertificate_SaysHowToGiveOne_InOneLine()
    {
        var url = $"https://127.0.0.1:{ServeProcess.FreePort()}";
        // A HOME of its own: no developer certificate this machine's user may have made.
        var result = await CliRunner.RunAsync(["serve", "--urls", url, "--data", TempDirectory.Create()], new Dictionary<string, string> { ["HOME"] = TempDirectory.Create() },
            TimeSpan.FromSeconds(30));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"agentcrm: --urls: '{url}': HTTPS needs a certificate: set Kestrel:Certificates:Default:Path (and Kestrel:Certificates:Default:Password), "
            + "or listen on http:// behind a TLS-terminating proxy.", LastLine(result.Stderr));
        Assert.DoesNotContain("dev-certs", result.Stderr, StringComparison.Ordinal);
    }

    private static string LastLine(string text) => text.Trim().Split('\n')[^1].Trim();
}
