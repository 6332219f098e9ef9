using System.Net.Http.Json;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Server;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// What --help says of the options every verb shares (--data, --json) is what each verb does with them: bench runs in a
/// folder of its own inside --data (the temp folder by default), and serve --json writes only JSON lines on stdout.
/// </summary>
public sealed class HelpAndJsonCliTests
{
    [Fact]
    public async Task BenchHelp_SaysItsDataIsAFolderOfItsOwn_InTheTempFolderByDefault_NotADataDirectoryDefaultingToDotData()
    {
        var bench = await CliRunner.RunAsync(["bench", "--help"]);
        var keys = await CliRunner.RunAsync(["keys", "list", "--help"]);

        Assert.True(bench.ExitCode == 0, bench.Stderr);
        var data = bench.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("--data", StringComparison.Ordinal));
        Assert.Contains("default: the temp folder", data, StringComparison.Ordinal);
        Assert.DoesNotContain("./data", bench.Stdout, StringComparison.Ordinal);
        // Elsewhere --data is the data directory, whose default is the setting's, not a fixed ./data.
        Assert.True(keys.ExitCode == 0, keys.Stderr);
        Assert.Matches(@"--data <data> +Data directory \(default: the Storage:DataDirectory setting, ./data unless set\)\.", keys.Stdout);
        Assert.DoesNotContain("[default: ./data]", keys.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeDemoJson_EveryStdoutLineIsJson_TheLogAndTheDemosSummary_WhoseKeysWork()
    {
        var dir = TempDirectory.Create();
        using var server = ServeProcess.Start(dir, new() { ["Knowledge__IngestBundled"] = "false" }, "--demo", "--json");
        await server.WaitForOutputAsync("\"demo\":");

        var lines = server.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var parsed = lines.Select(l =>
        {
            try
            {
                return JsonDocument.Parse(l).RootElement;
            }
            catch (JsonException)
            {
                Assert.Fail($"a stdout line that is not JSON: {l}");
                throw;
            }
        }).ToList();
        // The log (Runtime:LogFormat=Json): the start-up line naming the build among them.
        Assert.Contains(parsed, p => p.TryGetProperty("MessageTemplate", out _) && p.GetRawText().Contains("data format", StringComparison.Ordinal));
        var demo = Assert.Single(parsed, p => p.TryGetProperty("demo", out _)).GetProperty("demo");
        Assert.True(demo.GetProperty("events").GetInt32() > 0, demo.ToString());
        Assert.Equal(demo.GetProperty("events").GetInt32(), demo.GetProperty("accepted").GetInt32() + demo.GetProperty("duplicates").GetInt32());
        Assert.Equal(server.Address.ToString().TrimEnd('/'), demo.GetProperty("address").GetString());
        Assert.Equal(["admin", "csm", "integrator", "metrics", "ops", "reviewer"], demo.GetProperty("keys").EnumerateObject().Select(k => k.Name).Order(StringComparer.Ordinal));
        Assert.Equal("demo-01", demo.GetProperty("csmAccounts")[0].GetString());
        using var http = new HttpClient { BaseAddress = server.Address };
        http.DefaultRequestHeaders.Add("X-Api-Key", demo.GetProperty("keys").GetProperty("ops").GetString());
        var agents = await http.GetFromJsonAsync<JsonElement>("/v1/agents");
        Assert.NotEqual(0, agents.GetProperty("items").GetArrayLength());

        server.Signal(15);
        Assert.Equal(0, await server.WaitForExitAsync());
    }
}
