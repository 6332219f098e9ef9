using System.Text.RegularExpressions;
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
    [InlineData("http://localhost:0", "--urls: 'http://localhost:0': port 0 (any free port) needs an IP address: use 127.0.0.1:0 or [::1]:0.")]
    [InlineData("ftp://127.0.0.1:21", "--urls: 'ftp://127.0.0.1:21': only http:// and https:// listen addresses are supported.")]
    public async Task Serve_AListenAddressKestrelWouldRefuse_IsAUsageErrorNamingUrls_BeforeTheDataDirectoryIsOpened(string urls, string expected)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync(["serve", "--urls", urls, "--data", data], timeLimit: TimeSpan.FromSeconds(30));

        Assert.Equal((2, $"agentcrm: {expected} (see agentcrm serve --help)"), (result.ExitCode, result.Stderr.Trim()));
        Assert.False(Directory.Exists(data), "the data directory was opened before the usage error");
    }

    [Fact]
    public async Task AVerbOnADataDirectoryThatDidNotExist_SaysItCreatedOne_OnceAndOnStderr()
    {
        // A mistyped --data: without the notice it looks like a server with nothing on it yet.
        var data = Path.Combine(TempDirectory.Create(), "typo");

        var first = await CliRunner.RunAsync(["agents", "list", "--json", "--data", data]);
        var second = await CliRunner.RunAsync(["agents", "list", "--json", "--data", data]);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal($"agentcrm: created a new data directory at {data} (there was none)", first.Stderr.Trim());
        Assert.Contains("\"renewal-risk\"", first.Stdout, StringComparison.Ordinal);
        Assert.Equal((0, ""), (second.ExitCode, second.Stderr.Trim()));
    }

    [Fact]
    public async Task Serve_APortOutOfRangeInTheSetting_IsOneLineNamingTheSetting()
    {
        var result = await CliRunner.RunAsync(["serve", "--data", TempDirectory.Create()], new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:70000" },
            TimeSpan.FromSeconds(30));

        Assert.Equal((1, "agentcrm: invalid configuration: urls: 'http://127.0.0.1:70000': the port must be from 0 to 65535 (0: any free port)."),
            (result.ExitCode, result.Stderr.Trim()));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("  ")]
    public async Task Serve_AnEmptyOrBlankUrlsSetting_IsOneLineNamingUrls_AndCreatesNoDataDirectory(string blank)
    {
        // Blank was taken as "not set" here but given to Kestrel, which threw "Invalid url: ' ' (FormatException)" after the
        // data directory was created and initialised (qa45d F1); empty silently listened on the default.
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync(["serve", "--data", data], new Dictionary<string, string> { ["HOME"] = TempDirectory.Create(), ["ASPNETCORE_URLS"] = blank },
            TimeSpan.FromSeconds(30));

        Assert.Equal((1, "agentcrm: invalid configuration: urls: give at least one listen address, such as http://127.0.0.1:5080 (or leave the setting out for that default)."),
            (result.ExitCode, result.Stderr.Trim()));
        Assert.Equal("", result.Stdout);
        Assert.False(Directory.Exists(data), "a start refused for its listen addresses created the data directory");
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

    [Fact]
    public async Task Register_AFileThatIsNotAManifest_NamesTheFile()
    {
        var dir = TempDirectory.Create();
        var text = Path.Combine(dir, "hostname");
        await File.WriteAllTextAsync(text, "build-host-7\n");
        var yaml = Path.Combine(dir, "broken.yaml");
        await File.WriteAllTextAsync(yaml, "id: [\n");

        // A data directory in use (a refusal in a new one also says where it looked).
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "list", "--data", dir])).ExitCode);
        var notAnObject = await CliRunner.RunAsync(["agents", "register", text, "--data", dir]);
        var malformed = await CliRunner.RunAsync(["agents", "register", yaml, "--data", dir]);
        var folder = await CliRunner.RunAsync(["agents", "register", dir, "--data", dir]);

        Assert.Equal((1, $"agentcrm: {text}: A manifest must be an object."), (notAnObject.ExitCode, notAnObject.Stderr.Trim()));
        Assert.Equal(1, malformed.ExitCode);
        Assert.StartsWith($"agentcrm: {yaml}: Malformed YAML (line 2", malformed.Stderr, StringComparison.Ordinal);
        Assert.Equal((1, $"agentcrm: {dir}: is a folder, not a manifest file"), (folder.ExitCode, folder.Stderr.Trim()));
    }

    /// <summary>An empty or blank file was told in HTTP terms: "The body is empty; send the manifest as a JSON object (Content-Type: application/json)."</summary>
    [Fact]
    public async Task Register_AnEmptyOrBlankFile_SaysTheFileIsEmpty_InOneLine()
    {
        var dir = TempDirectory.Create();
        var files = new (string Name, string Content, string Expected)[]
        {
            ("e.json", "", "as a JSON object."),
            ("blank.json", " \n\t\n", "as a JSON object."),
            ("e.yaml", "", "in YAML."),
            ("e.manifest", "\uFEFF\n", "as a JSON object or in YAML."),
        };
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "list", "--data", dir])).ExitCode);

        foreach (var (name, content, expected) in files)
        {
            var file = Path.Combine(dir, name);
            await File.WriteAllTextAsync(file, content);

            var result = await CliRunner.RunAsync(["agents", "register", file, "--data", dir]);

            Assert.Equal((1, $"agentcrm: {file}: the file is empty; write the manifest {expected}"), (result.ExitCode, result.Stderr.Trim()));
        }
    }

    [Fact]
    public async Task Register_AManifestWithABadField_NamesTheFileAndTheField()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "bad.json");
        await File.WriteAllTextAsync(manifest, """{ "id": "x-y", "version": "1.0.0", "kind": "renewal-risk", "scenario": "s", "subscribes": ["nope"], "purpose": "p" }""");

        var result = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"agentcrm: {manifest}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("subscribes[0]", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "agents", "evaluate", "renewal-risk@1.0.1" }, "agentcrm agents evaluate")]
    [InlineData(new[] { "agents", "evaluate", "renewal-risk@1.0.1", "--cases", "telco-churn", "--cases-file", "x.csv", "--mapping", "m.yaml" }, "agentcrm agents evaluate")]
    [InlineData(new[] { "cases", "add", "mine", "x.csv" }, "agentcrm cases add")]
    [InlineData(new[] { "knowledge", "search", "" }, "agentcrm knowledge search")]
    [InlineData(new[] { "agents", "register", "" }, "agentcrm agents register")]
    [InlineData(new[] { "cases", "add", "mine", "x.ndjson", "--labels", "" }, "agentcrm cases add")]
    public async Task UsageErrors_PointToTheVerbsOwnHelp_BeforeTheDataDirectoryIsOpened(string[] args, string command)
    {
        var data = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync([.. args, "--data", data]);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("System.", result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith($"(see {command} --help)", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "the data directory was opened before the usage error");
    }

    [Theory]
    [InlineData(new[] { "agents", "regster", "x.yaml" }, "'regster' is not a command of 'agentcrm agents' (did you mean register?)")]
    [InlineData(new[] { "agnts", "list" }, "'agnts' is not a command of 'agentcrm' (did you mean agents?)")]
    [InlineData(new[] { "agents", "list", "--jsn" }, "'--jsn' is not an option of 'agentcrm agents list' (did you mean --json?)")]
    [InlineData(new[] { "agents", "evaluate", "renewal-risk@1.0.1", "--case", "telco-churn" }, "'--case' is not an option of 'agentcrm agents evaluate' (did you mean --cases?)")]
    [InlineData(new[] { "serve", "--url", "http://127.0.0.1:5080" }, "'--url' is not an option of 'agentcrm serve' (did you mean --urls?)")]
    public async Task AMistypedVerbOrOption_GetsADidYouMean(string[] args, string expected)
    {
        var result = await CliRunner.RunAsync([.. args, "--data", TempDirectory.Create()]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"agentcrm: {expected}", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task AWordFarFromEveryVerb_GetsNoSuggestion()
    {
        var result = await CliRunner.RunAsync(["agents", "frobnicate", "--data", TempDirectory.Create()]);

        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("did you mean", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentsAndKeysLists_KeepTheirColumnsAligned_WithLongNames_AndNoEscapeCodes()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "long.yaml");
        await File.WriteAllTextAsync(manifest, """
            id: nps-watch-for-the-enterprise-accounts-of-emea
            version: 2.0.0-beta.1
            kind: renewal-risk
            scenario: renewal-risk
            subscribes: [nps]
            reads: [nps.latest]
            purpose: customer-success
            threshold: 0.5
            """);
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir])).ExitCode);
        foreach (var (name, role) in new[] { ("ops", "ops"), ("csm-with-a-very-long-name-for-the-nordics-team", "csm"), ("reviewer-1", "reviewer") })
            Assert.Equal(0, (await CliRunner.RunAsync(["keys", "create", "--role", role, "--name", name, "--data", dir])).ExitCode);

        var agents = await CliRunner.RunAsync(["agents", "list", "--data", dir]);
        var keys = await CliRunner.RunAsync(["keys", "list", "--data", dir]);

        Assert.Equal(0, agents.ExitCode);
        Assert.Equal(0, keys.ExitCode);
        AssertAligned(agents.Stdout, 4, 4);
        AssertAligned(keys.Stdout, 4, 3);
    }

    /// <summary>Every line has <paramref name="columns"/> cells (2+ spaces apart), each starting at the same place on every line.</summary>
    private static void AssertAligned(string stdout, int columns, int lines)
    {
        Assert.DoesNotContain('\u001b', stdout);
        var rows = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(lines, rows.Length);
        var starts = rows.Select(row => Regex.Matches(row, @"(?<=^|\s{2})\S").Select(m => m.Index).ToArray()).ToList();
        Assert.All(starts, s => Assert.Equal(columns, s.Length));
        Assert.All(starts, s => Assert.Equal(starts[0], s));
    }

    private static string LastLine(string text) => text.Trim().Split('\n')[^1].Trim();
}
