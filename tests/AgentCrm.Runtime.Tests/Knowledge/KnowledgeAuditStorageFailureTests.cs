using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Options;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A knowledge change whose audit record cannot be written while the knowledge catalog can be (agentcrm.db moved away, as
/// <see cref="Intake.MovedDatabaseReadinessTests"/> does: every write to it fails until it is back, as on a full disk) is
/// answered 503 and undone: nothing of it is stored, listed or searched, and no record is appended for it later
/// (qa35a: an upload or delete answered 503 "not stored" was stored, served and cited, and recorded by system:recovered
/// at the next start). One that cannot be undone either is answered 503 saying it is stored, and the running server
/// appends its record once storage is back.
/// </summary>
public sealed class KnowledgeAuditStorageFailureTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n";
    private const string FaqV2 = "# Security FAQ\n\n## Passwords\n\nPasswords are rotated every quokka season.\n";
    private const string Notes = "# Onboarding notes\n\n## Kickoff\n\nThe kickoff call names a zebrafish sponsor.\n";

    private static StringContent Markdown(string text) => new(text, Encoding.UTF8, "text/markdown");

    /// <summary>Moves agentcrm.db away (every write to it fails until it is back), or back.</summary>
    private static void MoveAuditDatabase(AgentCrmApp app, bool away)
    {
        var path = Path.Combine(app.DataDirectory, "agentcrm.db");
        if (away)
            File.Move(path, path + ".away");
        else
            File.Move(path + ".away", path);
    }

    private static async Task<List<JsonElement>> RecordsAsync(AgentCrmApp app, string subject) =>
        [.. (await app.GetJsonAsync($"/v1/audit?limit=500&subject={subject}")).GetProperty("items").EnumerateArray()];

    private static async Task<List<string?>> SearchAsync(AgentCrmApp app, string query) =>
        [.. (await app.GetJsonAsync($"/v1/knowledge/search?q={Uri.EscapeDataString(query)}")).GetProperty("items").EnumerateArray().Select(h => h.GetProperty("snippet").GetString())];

    private static async Task AssertStorage503Async(HttpResponseMessage response, string saying)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Contains(saying, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadAndDelete_WhileTheAuditLogCannotBeWritten_Answer503_AndStoreNothing_NorRecordItLater()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=security", Markdown(Faq)))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var faq = await app.GetJsonAsync("/v1/knowledge/documents/faq");
        MoveAuditDatabase(app, away: true);

        using (var added = await app.Client.PostAsync("/v1/knowledge/documents?id=notes", Markdown(Notes)))
            await AssertStorage503Async(added, "was not stored");
        using (var replaced = await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(FaqV2)))
            await AssertStorage503Async(replaced, "was not stored");
        using (var relabelled = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=other&title=Other", Markdown(Faq)))
            await AssertStorage503Async(relabelled, "was not stored");
        using (var deleted = await app.Client.DeleteAsync("/v1/knowledge/documents/faq"))
            await AssertStorage503Async(deleted, "was not stored");

        // Nothing of the four refused changes is stored: not listed, not served, not searched (so never cited).
        using (var notes = await app.Client.GetAsync("/v1/knowledge/documents/notes"))
            Assert.Equal(HttpStatusCode.NotFound, notes.StatusCode);
        Assert.DoesNotContain("notes", (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        var after = await app.GetJsonAsync("/v1/knowledge/documents/faq");
        foreach (var field in new[] { "contentHash", "title", "ingestedAt" })
            Assert.Equal(faq.GetProperty(field).ToString(), after.GetProperty(field).ToString());
        Assert.Equal(["security"], after.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.DoesNotContain(await SearchAsync(app, "zebrafish sponsor kickoff"), t => t!.Contains("zebrafish", StringComparison.Ordinal));
        Assert.DoesNotContain(await SearchAsync(app, "passwords quokka season"), t => t!.Contains("quokka", StringComparison.Ordinal));
        Assert.Contains(await SearchAsync(app, "passwords salted hashes"), t => t!.Contains("salted hashes", StringComparison.Ordinal));

        MoveAuditDatabase(app, away: false);
        // Watcher ticks (every 2 s) with storage back: nothing stored without its record, so nothing to recover.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(["created"], (await RecordsAsync(app, "knowledge:faq")).Select(r => r.GetProperty("data").GetProperty("status").GetString()));
        Assert.Empty(await RecordsAsync(app, "knowledge:notes"));
        // Sent again once there is room: stored, and recorded by its uploader.
        using (var again = await app.Client.PostAsync("/v1/knowledge/documents?id=notes", Markdown(Notes)))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.StartsWith("key:", Assert.Single(await RecordsAsync(app, "knowledge:notes")).GetProperty("actor").GetString(), StringComparison.Ordinal);
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.True(JsonDocument.Parse(await verify.Content.ReadAsStringAsync()).RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Upload_WhoseRecordFailsAndWhoseUndoFailsToo_Answers503SayingItIsStored_AndIsRecordedOnceStorageIsBack()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(Faq)))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The catalog refuses to delete a document's row: undoing a new document's ingest fails.
        var catalog = Path.Combine(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KnowledgeOptions>>().Value.DataDirectory, KnowledgeOptions.CatalogFileName);
        using var connection = new SqliteConnection($"Data Source={catalog};Pooling=False");
        connection.Open();
        using (var trigger = connection.CreateCommand())
        {
            trigger.CommandText = "CREATE TRIGGER refuse_delete BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
            trigger.ExecuteNonQuery();
        }
        MoveAuditDatabase(app, away: true);

        using (var added = await app.Client.PostAsync("/v1/knowledge/documents?id=notes", Markdown(Notes)))
            await AssertStorage503Async(added, "the change IS stored (GET /v1/knowledge/documents/notes shows it)");
        using (var notes = await app.Client.GetAsync("/v1/knowledge/documents/notes"))
            Assert.Equal(HttpStatusCode.OK, notes.StatusCode);

        using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "DROP TRIGGER refuse_delete;";
            drop.ExecuteNonQuery();
        }
        MoveAuditDatabase(app, away: false);
        // The running server appends the record once the audit log can be written: no restart, no other process's change.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<JsonElement> records;
        while ((records = await RecordsAsync(app, "knowledge:notes")).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the running server did not record the stored change within 60 s of storage coming back");
            await Task.Delay(200);
        }
        var record = Assert.Single(records);
        Assert.Equal(KnowledgeAudit.RecoveredActor, record.GetProperty("actor").GetString());
        Assert.Equal("knowledge.ingested", record.GetProperty("action").GetString());
    }
}
