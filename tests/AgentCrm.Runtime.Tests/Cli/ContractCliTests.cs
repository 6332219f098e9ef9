using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>The CLI contract (API.md): --json is JSON with the API's names; every usage error is one line naming what is wrong and what it takes, exit 2.</summary>
public sealed class ContractCliTests
{
    private static void AssertUsageError(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("agentcrm: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task KnowledgeIngest_Json_NamesTheStatus_AsTheApiDoes()
    {
        var dir = TempDirectory.Create();
        var docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docs, "zebra.md"), "# Zebra care\n\nZebras need quarterly hoof trimming.\n");

        var first = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);
        var again = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal("created", JsonDocument.Parse(first.Stdout).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal("unchanged", JsonDocument.Parse(again.Stdout).RootElement.GetProperty("items")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task CasesRemove_Json_PrintsJson()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "cases.csv");
        await File.WriteAllTextAsync(csv, "id,tenure,churned\n" + string.Concat(Enumerable.Range(0, 9).Select(i => $"k{i},{(i % 3 == 0 ? 2 : 50)},{(i % 3 == 0 ? 1 : 0)}\n")));
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(mapping, """
            name: cli-remove
            id: id
            label: { column: churned, positive: "1" }
            fields:
              - { column: tenure, field: tenure.months, type: number }
            """);
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "add", "to-remove", csv, "--mapping", mapping, "--data", dir])).ExitCode);

        var remove = await CliRunner.RunAsync(["cases", "remove", "to-remove", "--data", dir, "--json"]);

        Assert.True(remove.ExitCode == 0, remove.Stderr);
        Assert.Equal("to-remove", JsonDocument.Parse(remove.Stdout).RootElement.GetProperty("removed").GetString());
    }

    [Theory]
    [InlineData("promote")]
    [InlineData("shadow")]
    [InlineData("evaluate")]
    public async Task AMalformedVersion_IsAUsageError_ForEveryVerbThatTakesOne(string verb)
    {
        var dir = TempDirectory.Create();
        foreach (var version in new[] { "renewal-risk", "renewal-risk@", "@1.0.0" })
        {
            string[] args = verb == "evaluate" ? ["agents", verb, version, "--cases", "telco-churn"] : ["agents", verb, version];
            AssertUsageError(await CliRunner.RunAsync([.. args, "--data", dir]), $"ID@VERSION: '{version}' is not of the form ID@VERSION");
        }
    }

    [Theory]
    [InlineData("keys create --name n --role wizard", "--role: 'wizard' is not valid; it takes one of admin, csm, integrator, metrics, ops, reviewer")]
    [InlineData("keys create --name n", "--role is required: one of admin, csm, integrator, metrics, ops, reviewer")]
    [InlineData("keys create --role csm --name bad/name", "--name: 'bad/name' is not a valid key name: 1-64 characters: ASCII letters, digits and . _ @ -, starting with a letter or digit (see agentcrm keys create --help)")]
    // é is a letter, but not an ASCII one: the rule said "letters" (qa45d F3).
    [InlineData("keys create --role csm --name josé", "--name: 'josé' is not a valid key name: 1-64 characters: ASCII letters, digits and . _ @ -, starting with a letter or digit (see agentcrm keys create --help)")]
    [InlineData("keys create --role csm --name .dot", "--name: '.dot' is not a valid key name")]
    [InlineData("keys create --name n --role", "--role needs a value: one of admin")]
    [InlineData("agents promote x@1.0.0 --canary abc", "--canary: 'abc' is not valid; it takes a whole number")]
    [InlineData("agents promote x@1.0.0 --canary", "--canary needs a value: a whole number")]
    // An option without its value before another: the other's value was blamed as "one too many" (qa42d #3).
    [InlineData("agents promote x@1.0.0 --canary --data /tmp/elsewhere", "--canary needs a value ('--data' is an option, not its value): a whole number")]
    [InlineData("agents evaluate x@1.0.0 --cases --json", "--cases needs a value ('--json' is an option, not its value): A registered case set")]
    [InlineData("agents fit renewal-risk --version --data /tmp/elsewhere", "--version needs a value ('--data' is an option, not its value)")]
    // One that parses without an error: it ran on a new data directory named "--json" (rev42b #3).
    [InlineData("agents list --data --json", "--data needs a value ('--json' is an option, not its value)")]
    [InlineData("bench --events 1e9x", "--events: '1e9x' is not valid; it takes a whole number")]
    [InlineData("agents bogus", "'bogus' is not a command of 'agentcrm agents'; use one of list, register, unregister, promote, shadow, rollback, evaluate, fit")]
    [InlineData("agents", "'agentcrm agents' needs a command: one of list, register")]
    [InlineData("frobnicate", "'frobnicate' is not a command of 'agentcrm'; use one of serve, agents, cases")]
    [InlineData("agents list --bogus", "'--bogus' is not an option of 'agentcrm agents list'; its options: --help, --data, --json")]
    [InlineData("agents list extra", "'agentcrm agents list' takes no argument; 'extra' is unexpected")]
    [InlineData("agents register", "'agentcrm agents register' needs MANIFEST: a file path")]
    [InlineData("agents register a.yaml b.yaml", "'agentcrm agents register' takes MANIFEST; 'b.yaml' is one too many")]
    [InlineData("agents fit renewal-risk", "--cases is required: A registered case set")]
    public async Task EveryParseError_IsOneLine_NamingTheOptionAndWhatItTakes_ExitTwo(string commandLine, string expected)
    {
        var dir = TempDirectory.Create();
        AssertUsageError(await CliRunner.RunAsync(["--data", dir, .. commandLine.Split(' ')]), expected);
        // Nothing was opened: a parse error comes before the data directory.
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public async Task KeysCreate_ANameWithASpace_IsAUsageError_AsABadRoleIs_NothingOpened()
    {
        var dir = Path.Combine(TempDirectory.Create(), "data");

        var result = await CliRunner.RunAsync(["keys", "create", "--role", "csm", "--name", "bad name", "--data", dir]);

        AssertUsageError(result, "agentcrm: --name: 'bad name' is not a valid key name: 1-64 characters");
        Assert.EndsWith("(see agentcrm keys create --help)", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir), "the data directory was created for a key that was refused");
    }

    [Theory]
    [InlineData("--warmup -1", "agentcrm: --warmup: '-1' is not valid; it takes a whole number, 0 or more (see agentcrm bench --help)")]
    [InlineData("--events 999", "agentcrm: --events: '999' is not valid; it takes a whole number, 1,000 or more (see agentcrm bench --help)")]
    public async Task Bench_OutOfRangeSizes_AreUsageErrors_BeforeAnyWork(string options, string expected)
    {
        var result = await CliRunner.RunAsync(["bench", .. options.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Bench_RunsInAFolderInsideData_SaysWhichFileSystem_AndLeavesNothingBehind()
    {
        var dir = TempDirectory.Create();

        var result = await CliRunner.RunAsync(["bench", "--events", "1000", "--customers", "10", "--warmup", "0", "--data", dir, "--json"]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var report = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.StartsWith(Path.GetFullPath(dir) + Path.DirectorySeparatorChar, report.GetProperty("dataDirectory").GetString(), StringComparison.Ordinal);
        Assert.NotEqual("", report.GetProperty("fileSystem").GetString());
        // What builds are compared by on a shared machine: the process's CPU and allocations per event.
        Assert.True(report.GetProperty("cpuMicrosecondsPerEvent").GetDouble() > 0, result.Stdout);
        Assert.True(report.GetProperty("allocatedBytesPerEvent").GetDouble() > 0, result.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));

        var missing = await CliRunner.RunAsync(["bench", "--events", "1000", "--data", Path.Combine(dir, "no-such-folder")]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("agentcrm: --data: ", missing.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir, "no-such-folder")));
    }

    [Fact]
    public void BenchData_NamesTheFileSystemOfTheLongestMountAbove_AndWarnsOfMemory()
    {
        if (!File.Exists("/proc/mounts"))
            return;
        Assert.Equal("proc", AgentCrm.Bench.BenchData.FileSystemOf("/proc/self/status"));
        // A path that only starts like a mount point is not under it.
        Assert.NotEqual("proc", AgentCrm.Bench.BenchData.FileSystemOf("/processes-elsewhere"));
        Assert.NotNull(AgentCrm.Bench.BenchData.Warning("tmpfs"));
        Assert.Null(AgentCrm.Bench.BenchData.Warning("ext4"));
    }

    [Fact]
    public async Task Serve_OnAPortInUse_IsOneLine_WithoutTheHostsStackTrace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var serve = await CliRunner.RunAsync(["serve", "--urls", $"http://127.0.0.1:{port}", "--data", TempDirectory.Create()]);

        Assert.Equal(1, serve.ExitCode);
        Assert.Equal($"agentcrm: Failed to bind to address http://127.0.0.1:{port}: address already in use.", serve.Stderr.Trim());
        Assert.DoesNotContain("   at ", serve.Stdout + serve.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", serve.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The check for an option whose value is another option's name (rev42b #3) took a short alias of help for one: "/h", an
    /// ordinary absolute path on Linux, was refused as an option (rev42c #2). Only long names count: the value is the
    /// verb's to judge (a scenario "/h" is refused as a scenario, "-h" as a key name).
    /// </summary>
    [Theory]
    [InlineData("knowledge search renewal --scenario /h", "scenario '/h' is invalid")]
    [InlineData("keys create --role csm --name -h", "--name: '-h' is not a valid key name")]
    public async Task AValueNamedLikeAHelpAlias_IsTakenAsTheValue(string commandLine, string expected)
    {
        var dir = TempDirectory.Create();
        var result = await CliRunner.RunAsync([.. commandLine.Split(' '), "--data", dir]);
        Assert.DoesNotContain("is an option, not its value", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }
}
