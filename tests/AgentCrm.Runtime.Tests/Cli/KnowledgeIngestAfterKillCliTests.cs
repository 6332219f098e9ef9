using System.Text.Json;
using AgentCrm.Knowledge;
using AgentCrm.Runtime.Tests.Knowledge;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Cli;

/// <summary>
/// `agentcrm knowledge ingest` run again after one was killed between its store and its audit: it first records what the
/// killed one stored (system:recovered), so every stored document ends with exactly one record, and `audit verify` says
/// intact. An ingest holds knowledge-audit.lock shared before it stores, so it waits for a reconciliation in flight.
/// </summary>
public sealed class KnowledgeIngestAfterKillCliTests
{
    private static List<(string Subject, string Action, string Actor)> KnowledgeRecords(string dir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT subject, action, actor FROM audit WHERE subject LIKE 'knowledge:%' ORDER BY subject, seq";
        using var reader = cmd.ExecuteReader();
        var records = new List<(string, string, string)>();
        while (reader.Read())
            records.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return records;
    }

    /// <summary>A data directory a server has run on (no bundled documents), stopped.</summary>
    private static async Task<string> DataDirectoryAsync()
    {
        var dir = TempDirectory.Create();
        await (await AgentCrmApp.StartAsync(dir)).DisposeAsync();
        return dir;
    }

    private static async Task<string> DocsAsync(params (string Name, string Text)[] files)
    {
        var docs = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "docs")).FullName;
        foreach (var (name, text) in files)
            await File.WriteAllTextAsync(Path.Combine(docs, name), text);
        return docs;
    }

    [Fact]
    public async Task TheIngestRunAgain_RecordsWhatTheKilledOneStored_BySystemRecovered_EachDocumentOnce_AndAuditVerifySaysIntact()
    {
        var dir = await DataDirectoryAsync();
        var docs = await DocsAsync(
            ("alpha.md", "# Alpha\n\nAlpha accounts renew in March.\n"),
            ("beta.md", "# Beta\n\nBeta accounts renew in June.\n"),
            ("gamma.md", "# Gamma\n\nGamma accounts renew in September.\n"));
        // Killed after storing two of the three, before any record.
        await KilledKnowledgeWriter.IngestFilesAsync(dir, Path.Combine(docs, "alpha.md"), Path.Combine(docs, "beta.md"));

        var again = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir, "--json"]);

        Assert.True(again.ExitCode == 0, again.Stderr);
        var statuses = JsonDocument.Parse(again.Stdout).RootElement.GetProperty("items").EnumerateArray()
            .Select(r => (r.GetProperty("documentId").GetString(), r.GetProperty("status").GetString()));
        Assert.Equal([("alpha", "unchanged"), ("beta", "unchanged"), ("gamma", "created")], statuses);
        var user = $"cli:{Environment.UserName}";
        List<(string, string, string)> expected =
        [
            ("knowledge:alpha", KnowledgeAudit.Ingested, KnowledgeAudit.RecoveredActor),
            ("knowledge:beta", KnowledgeAudit.Ingested, KnowledgeAudit.RecoveredActor),
            ("knowledge:gamma", KnowledgeAudit.Ingested, user),
        ];
        Assert.Equal(expected, KnowledgeRecords(dir));
        Assert.Contains($"agentcrm: appended 2 knowledge audit records an interrupted change had not written (actor {KnowledgeAudit.RecoveredActor})", again.Stderr, StringComparison.Ordinal);

        // And once more: nothing new to record.
        var third = await CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir]);
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.DoesNotContain("appended", third.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected, KnowledgeRecords(dir));
        var verify = await CliRunner.RunAsync(["audit", "verify", "--data", dir]);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
    }

    [Fact]
    public async Task AnIngest_WaitsForAReconciliationInFlight_BeforeStoring_ThenRecordsItsDocumentsAsItsUser()
    {
        var dir = await DataDirectoryAsync();
        // A library that is not empty, so the verb stores no bundled documents first.
        await KilledKnowledgeWriter.IngestFilesAsync(dir, Path.Combine(await DocsAsync(("seed.md", "# Seed\n\nA first document.\n")), "seed.md"));
        var docs = await DocsAsync(("zebra-care.md", "# Zebra care\n\nZebras need quarterly hoof trimming.\n"));

        Task<CliResult> ingest;
        using (var reconciling = await KnowledgeAuditReconciliationTests.HoldAsReconciliationAsync(dir))
        {
            ingest = CliRunner.RunAsync(["knowledge", "ingest", docs, "--data", dir]);
            // Long beside the few seconds the verb takes: it would have stored and ended by then.
            await Task.Delay(TimeSpan.FromSeconds(15));
            Assert.False(ingest.IsCompleted, "the ingest went on while a reconciliation held knowledge-audit.lock");
            Assert.DoesNotContain("zebra-care", await KilledKnowledgeWriter.DocumentIdsAsync(dir));
        }

        var done = await ingest;
        Assert.True(done.ExitCode == 0, done.Stderr);
        Assert.Contains(("knowledge:zebra-care", KnowledgeAudit.Ingested, $"cli:{Environment.UserName}"), KnowledgeRecords(dir));
    }
}
