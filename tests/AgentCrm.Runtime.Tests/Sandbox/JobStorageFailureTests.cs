using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// Sandbox jobs when the disk fills, as StorageFailureTests simulates it: the writer's own SQLite connection capped by
/// <c>PRAGMA max_page_count</c> (SQLITE_FULL, "database or disk is full", as a full disk gives), and a trigger that makes a
/// write need pages the cap refuses.
/// </summary>
public sealed class JobStorageFailureTests
{
    private const string Evaluate = "/v1/agents/renewal-risk/versions/1.0.1/evaluate";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>Caps the database at its current size plus <paramref name="room"/> pages on the writer's connection, or lifts the cap (null).</summary>
    private static Task CapAsync(AgentCrmApp app, int? room) => app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx =>
    {
        using var pages = ctx.Connection.CreateCommand();
        pages.CommandText = "PRAGMA page_count";
        var count = (long)pages.ExecuteScalar()!;
        using var pragma = ctx.Connection.CreateCommand();
        pragma.CommandText = $"PRAGMA max_page_count = {(room is { } r ? count + r : 1_073_741_823)}";
        pragma.ExecuteScalar();
    });

    /// <summary>A trigger that makes <paramref name="when"/> write a megabyte more: under the cap, that write fails for want of storage.</summary>
    private static void Bloat(string dir, string when) => Execute(dir,
        $"CREATE TABLE IF NOT EXISTS filler (b BLOB); CREATE TRIGGER bloat {when} BEGIN INSERT INTO filler VALUES (zeroblob(1048576)); END;");

    private static void Unbloat(string dir) => Execute(dir, "DROP TRIGGER bloat; DELETE FROM filler;");

    [Fact]
    public async Task AnEvaluationWhoseReportCannotBeStored_FailsNamingTheFullDisk_StoresNoReport_AndRunsOnceThereIsRoom()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await CapAsync(app, room: 0);

        var failed = await RunAsync(app.Client, Evaluate, """{"caseSet":"telco-churn"}""");

        Assert.Equal("failed", failed.GetProperty("state").GetString());
        var error = failed.GetProperty("error").GetString()!;
        Assert.StartsWith("The disk holding the server's data directory is full (SQLite Error 13: 'database or disk is full'): nothing of this run was kept.", error, StringComparison.Ordinal);
        Assert.Contains("Free space on that disk", error, StringComparison.Ordinal);
        Assert.Contains("then run it again", error, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("reportId").ValueKind);
        Assert.Equal(0L, Scalar(app.DataDirectory, "SELECT COUNT(*) FROM sandbox_reports"));
        // Stored so: the table holds the same end.
        Assert.Equal("failed", Scalar(app.DataDirectory, "SELECT state FROM jobs WHERE id = $id", failed.GetProperty("id").GetString()));

        // Room again: the same evaluation runs, without a restart.
        await CapAsync(app, room: null);
        var done = await RunAsync(app.Client, Evaluate, """{"caseSet":"telco-churn"}""");
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.GetRawText());
        Assert.Equal(1L, Scalar(app.DataDirectory, "SELECT COUNT(*) FROM sandbox_reports"));
    }

    [Fact]
    public async Task AJobWhoseEndCannotBeStoredEither_ShowsHowItEnded_NotInterrupted_AndIsStoredOnceThereIsRoom_WithoutARestart()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var dir = app.DataDirectory;
        Bloat(dir, "AFTER UPDATE OF state ON jobs WHEN new.state <> 'running'");
        await CapAsync(app, room: 0);

        var job = await RunAsync(app.Client, Evaluate, """{"caseSet":"telco-churn"}""");
        var id = job.GetProperty("id").GetString()!;

        Assert.True(job.GetProperty("state").GetString() == "failed", job.GetRawText());
        var error = job.GetProperty("error").GetString()!;
        Assert.StartsWith("The disk holding the server's data directory is full", error, StringComparison.Ordinal);
        Assert.Contains("This end is not stored yet", error, StringComparison.Ordinal);
        Assert.Equal("running", Scalar(dir, "SELECT state FROM jobs WHERE id = $id", id));
        // Listed (and filtered) as it ended too.
        var listed = JsonDocument.Parse(await app.Client.GetStringAsync("/v1/jobs?state=failed")).RootElement.GetProperty("items");
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty(JsonDocument.Parse(await app.Client.GetStringAsync("/v1/jobs?state=interrupted")).RootElement.GetProperty("items").EnumerateArray());

        // Room again: its end is stored, as it ended, without a restart.
        await CapAsync(app, room: null);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (Scalar(dir, "SELECT state FROM jobs WHERE id = $id", id) as string == "running")
        {
            Assert.True(DateTime.UtcNow < deadline, "the job's end was not stored within a minute of the room coming back");
            await Task.Delay(100);
        }
        Assert.Equal("failed", Scalar(dir, "SELECT state FROM jobs WHERE id = $id", id));
        var stored = JsonDocument.Parse(await app.Client.GetStringAsync($"/v1/jobs/{id}")).RootElement;
        Assert.Equal("failed", stored.GetProperty("state").GetString());
        Assert.StartsWith("The disk holding the server's data directory is full", stored.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("not stored yet", stored.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
    }

    [Fact]
    public async Task AJobWhoseEndCouldNotBeStoredBeforeTheServerStopped_RunsAgainOnTheNextStart()
    {
        var dir = TempDirectory.Create();
        string id;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            Bloat(dir, "AFTER UPDATE OF state ON jobs WHEN new.state <> 'running'");
            await CapAsync(app, room: 0);
            var job = await RunAsync(app.Client, Evaluate, """{"caseSet":"telco-churn"}""");
            id = job.GetProperty("id").GetString()!;
            Assert.Contains("not stored yet", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        Unbloat(dir);

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var job = await JobPolling.WaitAsync(app.Client, id);

            Assert.True(job.GetProperty("state").GetString() == "succeeded", job.GetRawText());
            Assert.Equal(2, job.GetProperty("attempt").GetInt32());
            Assert.Equal(1L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports"));
        }
    }

    [Fact]
    public async Task AReportStoredWhoseVersionCouldNotBeMarkedEvaluated_IsDroppedWithTheJobsFailure()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var dir = app.DataDirectory;
        // The report fits; marking the version (a transition) then needs the room the cap refuses.
        Bloat(dir, "AFTER INSERT ON agent_transitions WHEN new.to_state = 'evaluated'");
        using (var register = await app.Client.PostAsync("/v1/agents", Json(Manifest)))
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
        await CapAsync(app, room: 64);

        var job = await RunAsync(app.Client, "/v1/agents/disk-test/versions/1.0.0/evaluate", """{"caseSet":"telco-churn"}""");

        Assert.True(job.GetProperty("state").GetString() == "failed", job.GetRawText());
        // A failed job leaves no report: a report without its version marked evaluated is not left behind.
        Assert.Equal(0L, Scalar(dir, "SELECT COUNT(*) FROM sandbox_reports WHERE agent_id = 'disk-test'"));
        Assert.StartsWith("The disk holding the server's data directory is full", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("registered", Scalar(dir, "SELECT state FROM agent_versions WHERE agent_id = 'disk-test' AND version = '1.0.0'"));
    }

    [Fact]
    public async Task AFitWhoseReportCannotBeStored_FailsSayingItsVersionWasRegistered_AndHowToEvaluateIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var dir = app.DataDirectory;
        Bloat(dir, "AFTER INSERT ON sandbox_reports");
        await CapAsync(app, room: 64);

        var job = await RunAsync(app.Client, "/v1/agents/fit", """{"kind":"renewal-risk","caseSet":"telco-churn"}""");

        Assert.True(job.GetProperty("state").GetString() == "failed", job.GetRawText());
        var error = job.GetProperty("error").GetString()!;
        Assert.StartsWith("The disk holding the server's data directory is full (SQLite Error 13: 'database or disk is full'): renewal-risk@1.1.0 was registered, but its report was not stored", error, StringComparison.Ordinal);
        Assert.Contains("POST /v1/agents/renewal-risk/versions/1.1.0/evaluate with caseSet telco-churn:holdout-", error, StringComparison.Ordinal);
        var holdOut = System.Text.RegularExpressions.Regex.Match(error, "caseSet (?<set>telco-churn:holdout-[0-9-]+)").Groups["set"].Value;

        // Room again: evaluating the registered version gives it its report.
        await CapAsync(app, room: null);
        Unbloat(dir);
        var evaluated = await RunAsync(app.Client, "/v1/agents/renewal-risk/versions/1.1.0/evaluate", $$"""{"caseSet":"{{holdOut}}"}""");
        Assert.True(evaluated.GetProperty("state").GetString() == "succeeded", evaluated.GetRawText());
        var report = JsonDocument.Parse(await app.Client.GetStringAsync("/v1/agents/renewal-risk/versions/1.1.0/reports/latest")).RootElement;
        Assert.Equal(holdOut, report.GetProperty("caseSet").GetString());
    }

    private const string Manifest = """
        {"id":"disk-test","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk",
         "subscribes":["contract","usage","support_ticket","payment","nps","profile"],
         "reads":["profile.name","tenure.days","contract.type","contract.daysToEnd","contract.autoRenew","usage.trend30d","tickets.open","tickets.openHighPriority","billing.paymentFailures90d","billing.overdueInvoices","nps.latest"],
         "purpose":"customer-success","threshold":0.5,"gate":{"minCases":200,"minPrecision":0.8,"minRecall":0.8}}
        """;

    /// <summary>Starts a job (202) and polls it until it is no longer running.</summary>
    private static async Task<JsonElement> RunAsync(HttpClient client, string path, string body)
    {
        using var start = await client.PostAsync(path, Json(body));
        var text = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, text);
        return await JobPolling.WaitAsync(client, JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!);
    }

    private static SqliteConnection Open(string dir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(string dir, string sql)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(string dir, string sql, string? id = null)
    {
        using var connection = Open(dir);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (id is not null)
            cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar();
    }
}
