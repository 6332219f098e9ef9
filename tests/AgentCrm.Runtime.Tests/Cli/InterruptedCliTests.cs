using System.Diagnostics;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>A verb stopped by Ctrl+C or SIGTERM says so in one line (which signal, what was not stored) and exits 130 / 143.</summary>
public sealed class InterruptedCliTests
{
    private const string Mapping = "name: piped\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n";

    [Theory]
    [InlineData(2, "SIGINT", 130)]
    [InlineData(15, "SIGTERM", 143)]
    public async Task AnEvaluateStoppedMidRun_SaysSoInOneLine_AndStoresNoReportNorCaseSet(int signal, string name, int exitCode)
    {
        var dir = TempDirectory.Create();
        var mapping = Path.Combine(dir, "mapping.yaml");
        await File.WriteAllTextAsync(mapping, Mapping);
        // A case file that never finishes arriving (a pipe nobody writes): the verb is running, reading its input, when signalled.
        var cases = Fifo(dir, "cases.csv");
        var result = await RunAndSignalAsync(["agents", "evaluate", "renewal-risk@1.0.1", "--cases-file", cases, "--mapping", mapping, "--data", dir, "--json"], signal);
        Assert.Equal((exitCode, $"agentcrm: interrupted by {name}; no report was stored.", ""), (result.ExitCode, result.Stderr.Trim(), result.Stdout.Trim()));

        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.DoesNotContain(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray(),
            s => s.GetProperty("name").GetString()!.StartsWith("upload:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACasesAddStoppedWhileParsing_SaysWhatHappened_AndTheListAgrees()
    {
        // Stopped while a large timeline was parsed, it said "the case set was not added" and stored it anyway: the write went
        // on after the signal. Whatever the moment, the line and the list must agree.
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "list", "--data", dir])).ExitCode);
        var (ndjson, labels) = AgentCrm.Runtime.Tests.Sandbox.CaseFiles.Timeline(8_000, DateTimeOffset.UtcNow.AddDays(-1));
        var events = Path.Combine(dir, "big.ndjson");
        var labelsFile = Path.Combine(dir, "big.csv");
        await File.WriteAllTextAsync(events, ndjson);
        await File.WriteAllTextAsync(labelsFile, labels);

        var result = await RunAndSignalAsync(["cases", "add", "big", events, "--labels", labelsFile, "--data", dir], 2);

        var list = await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"]);
        var stored = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray().Any(s => s.GetProperty("name").GetString() == "big");
        if (result.ExitCode == 130)
        {
            Assert.Equal("agentcrm: interrupted by SIGINT; the case set was not added.", result.Stderr.Trim());
            Assert.False(stored, "told the case set was not added, but it is listed");
        }
        else
        {
            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
            Assert.True(stored, "the add ended well but the set is not listed");
        }
    }

    [Fact]
    public async Task AKnowledgeIngestStoppedMidRun_SaysNothingWasIngested()
    {
        var dir = TempDirectory.Create();
        var document = Fifo(dir, "policy.md");
        var result = await RunAndSignalAsync(["knowledge", "ingest", document, "--data", dir], 15);
        Assert.Equal((143, "agentcrm: interrupted by SIGTERM; nothing was ingested."), (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public async Task AKnowledgeIngestStoppedWhileStoring_SaysWhatWasIngested_AndAuditsIt()
    {
        // Stopped between documents it had stored some, audited none, and said "nothing was ingested".
        var dir = TempDirectory.Create();
        Assert.Equal(0, (await CliRunner.RunAsync(["keys", "list", "--data", dir])).ExitCode);
        var folder = Path.Combine(dir, "docs");
        Directory.CreateDirectory(folder);
        var gdpr = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "knowledge", "data")).OrderByDescending(f => new FileInfo(f).Length).First();
        for (var i = 0; i < 12; i++)
            File.Copy(gdpr, Path.Combine(folder, $"copy-{i}{Path.GetExtension(gdpr)}"));

        var result = await RunAndSignalAsync(["knowledge", "ingest", folder, "--data", dir], 2);

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM audit WHERE action = 'knowledge.ingested' AND subject LIKE 'knowledge:copy-%'";
        var audited = (long)count.ExecuteScalar()!;
        if (result.Stderr.Contains("nothing was ingested", StringComparison.Ordinal))
            Assert.Equal(0, audited);
        else if (result.ExitCode == 130)
            Assert.Equal($"agentcrm: interrupted by SIGINT; 12 documents were ingested and audited.", result.Stderr.Trim());
        else
            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        if (!result.Stderr.Contains("nothing was ingested", StringComparison.Ordinal))
            Assert.Equal(12, audited);
    }

    [Fact]
    public async Task AFitStoppedAfterRegisteringItsVersion_SaysTheVersionWasRegisteredAndEvaluated()
    {
        var dir = TempDirectory.Create();
        // 300 rows of the shipped Iranian churn file: a fit of seconds, whatever else the machine runs.
        var csv = Path.Combine(dir, "small.csv");
        await File.WriteAllLinesAsync(csv, File.ReadLines(Path.Combine(AppContext.BaseDirectory, "sandbox", "data", "churn", "uci-iranian-churn", "Customer_Churn.csv")).Take(301));
        var add = await CliRunner.RunAsync(["cases", "add", "small", csv, "--mapping", Path.Combine(AppContext.BaseDirectory, "sandbox", "mappings", "iranian-churn.yaml"), "--data", dir]);
        Assert.True(add.ExitCode == 0, add.Stderr);
        // --out is a pipe nobody reads: once its version is registered and evaluated, the fit is held writing the manifest.
        var manifest = Fifo(dir, "manifest.json");
        // Generous: on a loaded machine, beside other fits, this fit has taken minutes.
        Task Evaluated() => UntilEvaluatedAsync(dir, v => v.GetProperty("version").GetString() == "7.1.0", TimeSpan.FromMinutes(8));

        var result = await RunAndSignalAsync(["agents", "fit", "renewal-risk", "--cases", "small", "--version", "7.1.0", "--out", manifest, "--data", dir, "--json"], 2, Evaluated);

        Assert.Equal(130, result.ExitCode);
        Assert.Matches(@"^agentcrm: interrupted by SIGINT; renewal-risk@7\.1\.0 was registered and evaluated \(report rep_\w+\); its output was not all written\.$", result.Stderr.Trim());
    }

    [Fact]
    public async Task AnEvaluateStoppedAfterStoringItsReport_SaysTheReportWasStored()
    {
        var dir = TempDirectory.Create();
        var manifest = await CliTests.NpsWatchManifestAsync(dir);
        var register = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);
        Assert.True(register.ExitCode == 0, register.Stderr);
        // --html is a pipe nobody reads: once the report is stored (the version is then evaluated), the verb is held writing it.
        var html = Fifo(dir, "report.html");
        Task Evaluated() => UntilEvaluatedAsync(dir, v => v.GetProperty("id").GetString() == "nps-watch", TimeSpan.FromMinutes(4));

        var result = await RunAndSignalAsync(["agents", "evaluate", "nps-watch@2.0.0", "--cases", "telco-churn", "--html", html, "--data", dir, "--json"], 15, Evaluated);

        Assert.Equal(143, result.ExitCode);
        Assert.Matches(@"^agentcrm: interrupted by SIGTERM; the report was stored as rep_\w+; its output was not all written\.$", result.Stderr.Trim());
    }

    private static string Fifo(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>
    /// Starts the verb, waits until it is running (<paramref name="running"/> tells when, else <see cref="UntilTheVerbRunsAsync"/>),
    /// sends the signal, and waits for the end.
    /// </summary>
    private static async Task<CliResult> RunAndSignalAsync(string[] args, int signal, Func<Task>? running = null)
    {
        // env(1) execs dotnet (same pid) with SIGINT at its default: a parent may run its children with SIGINT ignored,
        // as a shell does a background job, and an ignored SIGINT never reaches the process.
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "agentcrm.dll") }.Concat(args))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await (running?.Invoke() ?? UntilTheVerbRunsAsync(process, args[Array.IndexOf(args, "--data") + 1], stderr));
        if (process.HasExited)
            Assert.Fail($"the verb ended before the signal: {await stderr}");
        using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            Assert.Fail($"the verb did not end within 30 s of the signal: {await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Waits until the verb's own code runs: the process holds the data directory's database open. The CLI registers its
    /// signal handlers before it runs any verb; a signal before them ends the process by the default action (exit 130 or 143
    /// and nothing said), which is what a fixed delay gave when a busy machine started the process slowly.
    /// </summary>
    private static async Task UntilTheVerbRunsAsync(Process process, string dataDirectory, Task<string> stderr)
    {
        var database = Path.Combine(dataDirectory, "agentcrm.db");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!HoldsOpen(process.Id, database))
        {
            if (process.HasExited)
                Assert.Fail($"the verb ended before the signal: {await stderr}");
            Assert.True(DateTime.UtcNow < deadline, $"the verb did not open {database} within 2 minutes");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> has <paramref name="path"/> open (its links in /proc/PID/fd, which name the file
    /// by its real path: compared by the file's and its folder's names, a test's folder being a fresh GUID).
    /// </summary>
    private static bool HoldsOpen(int pid, string path)
    {
        static string Tail(string p) => Path.Combine(Path.GetFileName(Path.GetDirectoryName(p)) ?? "", Path.GetFileName(p));
        var tail = Tail(path);
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && Tail(target) == tail)
                        return true;
                }
                catch (IOException)
                {
                    // Closed meanwhile.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process has ended (its /proc folder is gone).
        }
        return false;
    }

    /// <summary>Polls <c>agents list</c> until a version <paramref name="matches"/> accepts is <c>evaluated</c>.</summary>
    private static async Task UntilEvaluatedAsync(string dir, Func<JsonElement, bool> matches, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var list = await CliRunner.RunAsync(["agents", "list", "--data", dir, "--json"], timeLimit: TimeSpan.FromMinutes(2));
            if (list.ExitCode == 0 && JsonDocument.Parse(list.Stdout).RootElement.GetProperty("items").EnumerateArray()
                .Any(v => matches(v) && v.GetProperty("state").GetString() == "evaluated"))
                return;
            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        }
    }
}
