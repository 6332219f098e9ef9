using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentCrm.Knowledge;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A running server records, within seconds and without a restart, what another process stored or deleted in the
/// knowledge store without its audit records (a killed `agentcrm knowledge ingest`), by system:recovered; while a change
/// is in flight (it holds knowledge-audit.lock shared, as every HTTP and CLI knowledge change does), it records nothing
/// for it, and the change's own records carry who made it.
/// </summary>
public sealed class KnowledgeAuditReconciliationTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n";

    private static async Task<List<JsonElement>> RecordsAsync(AgentCrmApp app, string subject) =>
        [.. (await app.GetJsonAsync($"/v1/audit?limit=500&subject={subject}")).GetProperty("items").EnumerateArray()];

    private static async Task<List<JsonElement>> WaitForRecordsAsync(AgentCrmApp app, string subject, int count)
    {
        // Generous: the watcher runs every 2 s, later on a loaded machine.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var records = await RecordsAsync(app, subject);
            if (records.Count >= count)
                return records;
            Assert.True(DateTime.UtcNow < deadline, $"the running server did not append {count} audit records for {subject} within 60 s (it has {records.Count})");
            await Task.Delay(200);
        }
    }

    private static async Task AssertVerifiesAsync(AgentCrmApp app)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", null);
        var verification = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(verification.GetProperty("ok").GetBoolean(), verification.ToString());
    }

    /// <summary>knowledge-audit.lock held as a reconciliation holds it (exclusive), once no one else holds it.</summary>
    internal static async Task<IDisposable> HoldAsReconciliationAsync(string directory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (KnowledgeAuditLock.TryReconcile(directory) is { } held)
                return held;
            Assert.True(DateTime.UtcNow < deadline, "knowledge-audit.lock stayed held for 30 s");
            await Task.Delay(20);
        }
    }

    private static async Task<string> FileAsync(string text, string name)
    {
        var docs = Directory.CreateDirectory(Path.Combine(TempDirectory.Create(), "docs")).FullName;
        var path = Path.Combine(docs, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    [Fact]
    public async Task AKilledIngestsDocuments_AndAKilledDelete_AreRecordedBySystemRecovered_ByTheRunningServer_WithoutARestart()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var kept = await app.Client.PostAsync("/v1/knowledge/documents?id=kept", new StringContent("# Kept\n\nRecorded as it happened.\n", Encoding.UTF8, "text/markdown")))
            Assert.Equal(HttpStatusCode.Created, kept.StatusCode);
        using (var toDelete = await app.Client.PostAsync("/v1/knowledge/documents?id=gone", new StringContent("# Gone\n\nDeleted by a killed process.\n", Encoding.UTF8, "text/markdown")))
            Assert.Equal(HttpStatusCode.Created, toDelete.StatusCode);

        var stored = Assert.Single(await KilledKnowledgeWriter.IngestFilesAsync(app.DataDirectory, await FileAsync(Faq, "faq.md")));
        await KilledKnowledgeWriter.DeleteAsync(app.DataDirectory, "gone");

        var faq = Assert.Single(await WaitForRecordsAsync(app, "knowledge:faq", 1));
        Assert.Equal(KnowledgeAudit.Ingested, faq.GetProperty("action").GetString());
        Assert.Equal(KnowledgeAudit.RecoveredActor, faq.GetProperty("actor").GetString());
        Assert.Equal(stored.ContentHash, faq.GetProperty("data").GetProperty("contentHash").GetString());
        Assert.True(faq.GetProperty("data").GetProperty("recovered").GetBoolean());
        var gone = await WaitForRecordsAsync(app, "knowledge:gone", 2);
        Assert.Equal([KnowledgeAudit.Deleted, KnowledgeAudit.Ingested], gone.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal(KnowledgeAudit.RecoveredActor, gone[0].GetProperty("actor").GetString());
        Assert.True(gone[0].GetProperty("data").GetProperty("recovered").GetBoolean());
        Assert.StartsWith("key:", gone[1].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Single(await RecordsAsync(app, "knowledge:kept"));
        // Served and cited meanwhile: the server took the document in.
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/v1/knowledge/documents/faq")).StatusCode);
        await AssertVerifiesAsync(app);
    }

    [Fact]
    public async Task WhileAChangeIsInFlight_TheServerRecordsNothingForIt_AndTheChangeRecordsItsOwnActor()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var audit = app.Services.GetRequiredService<KnowledgeAudit>();
        var recovery = app.Services.GetRequiredService<KnowledgeAuditRecovery>();
        var file = await FileAsync(Faq, "faq.md");

        var change = await audit.ChangingAsync();
        var stored = await KilledKnowledgeWriter.IngestFilesAsync(app.DataDirectory, file);
        // The server has taken the document in (its watcher reloads it, then tries to reconcile on the same tick)...
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await app.Client.GetAsync("/v1/knowledge/documents/faq")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the running server did not load the document another process stored within 60 s");
            await Task.Delay(100);
        }
        // ...and on the ticks after it: nothing is recorded for a document whose change is still in flight.
        await Task.Delay(KnowledgeWatcher.Interval * 3);
        Assert.Empty(await RecordsAsync(app, "knowledge:faq"));
        Assert.Null(await recovery.TryRunAsync(CancellationToken.None));

        await audit.IngestedAsync("cli:operator", stored);
        change.Dispose();
        // Once the change is over, a reconciliation (the watcher's, or this one) finds nothing to add.
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (await recovery.TryRunAsync(CancellationToken.None) is not { } appended || appended != (0, 0))
        {
            Assert.True(DateTime.UtcNow < deadline, "no reconciliation ran within 60 s of the change's end, or it appended records");
            await Task.Delay(50);
        }
        await Task.Delay(KnowledgeWatcher.Interval * 2);
        var record = Assert.Single(await RecordsAsync(app, "knowledge:faq"));
        Assert.Equal("cli:operator", record.GetProperty("actor").GetString());
        Assert.False(record.GetProperty("data").TryGetProperty("recovered", out _));
        await AssertVerifiesAsync(app);
    }

    [Fact]
    public async Task AnUploadOrADeleteOverHttp_WaitsForAReconciliationInFlight_ThenIsRecordedByItsCaller()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var reconciling = await HoldAsReconciliationAsync(app.DataDirectory))
        {
            var upload = app.Client.PostAsync("/v1/knowledge/documents?id=faq", new StringContent(Faq, Encoding.UTF8, "text/markdown"));
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(upload.IsCompleted, "an upload went on while a reconciliation held knowledge-audit.lock");
            reconciling.Dispose();
            using var created = await upload;
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var reconciling = await HoldAsReconciliationAsync(app.DataDirectory))
        {
            var delete = app.Client.DeleteAsync("/v1/knowledge/documents/faq");
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(delete.IsCompleted, "a delete went on while a reconciliation held knowledge-audit.lock");
            reconciling.Dispose();
            using var deleted = await delete;
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var records = await RecordsAsync(app, "knowledge:faq");
        Assert.Equal([KnowledgeAudit.Deleted, KnowledgeAudit.Ingested], records.Select(r => r.GetProperty("action").GetString()));
        Assert.All(records, r => Assert.StartsWith("key:", r.GetProperty("actor").GetString(), StringComparison.Ordinal));
    }
}
