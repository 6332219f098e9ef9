using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentCrm.Knowledge;
using AgentCrm.Knowledge.Documents;
using AgentCrm.Knowledge.Ingest;
using AgentCrm.Knowledge.Retrieval;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A knowledge change whose audit record a crash lost (the store committed, the append never ran), simulated by changing
/// the knowledge through the service without <see cref="KnowledgeAudit"/>: the next start appends the record once, by
/// system:recovered; later starts append nothing, and the chain still verifies.
/// </summary>
public sealed class KnowledgeAuditRecoveryTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n";
    private const string Policy = "# Retention policy\n\n## Logs\n\nLogs are kept for 90 days.\n";
    private const string PolicyV2 = "# Retention policy\n\n## Logs\n\nLogs are kept for 30 days, then erased.\n";

    private static StringContent Markdown(string text) => new(text, Encoding.UTF8, "text/markdown");

    private static async Task<List<JsonElement>> RecordsAsync(AgentCrmApp app, string subject = "knowledge:*") =>
        [.. (await app.GetJsonAsync($"/v1/audit?limit=500&subject={subject}")).GetProperty("items").EnumerateArray()];

    private static async Task AssertVerifiesAsync(AgentCrmApp app)
    {
        using var response = await app.Client.PostAsync("/v1/audit/verify", null);
        var verification = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(verification.GetProperty("ok").GetBoolean(), verification.ToString());
    }

    private static async Task<string> IngestOverHttpAsync(AgentCrmApp app, string id, string text)
    {
        using var response = await app.Client.PostAsync($"/v1/knowledge/documents?id={id}", Markdown(text));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contentHash").GetString()!;
    }

    [Fact]
    public async Task IngestsWithoutTheirRecords_AreRecordedOnce_OnTheNextStart_AndLaterStartsAddNothing()
    {
        var dir = TempDirectory.Create();
        string faqHash, policyHash, policyV2Hash;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            policyHash = await IngestOverHttpAsync(app, "policy", Policy);
            await IngestOverHttpAsync(app, "kept", "# Kept\n\nRecorded as it happened.\n");
            // The crash: stored, then nothing appended (a new document, and a replaced one).
            var knowledge = app.Services.GetRequiredService<KnowledgeService>();
            faqHash = (await knowledge.IngestAsync(Faq, DocumentType.Markdown, "faq")).ContentHash;
            policyV2Hash = (await knowledge.IngestAsync(PolicyV2, DocumentType.Markdown, "policy")).ContentHash;
            Assert.Empty(await RecordsAsync(app, "knowledge:faq"));
        }

        List<JsonElement> afterFirstRestart;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var faq = Assert.Single(await RecordsAsync(app, "knowledge:faq"));
            Assert.Equal(KnowledgeAudit.Ingested, faq.GetProperty("action").GetString());
            Assert.Equal(KnowledgeAudit.RecoveredActor, faq.GetProperty("actor").GetString());
            Assert.Equal(faqHash, faq.GetProperty("data").GetProperty("contentHash").GetString());
            Assert.Equal("created", faq.GetProperty("data").GetProperty("status").GetString());
            Assert.True(faq.GetProperty("data").GetProperty("recovered").GetBoolean());

            var policy = await RecordsAsync(app, "knowledge:policy");
            Assert.Equal([policyV2Hash, policyHash], policy.Select(r => r.GetProperty("data").GetProperty("contentHash").GetString()));
            Assert.Equal(KnowledgeAudit.RecoveredActor, policy[0].GetProperty("actor").GetString());
            Assert.Equal("replaced", policy[0].GetProperty("data").GetProperty("status").GetString());
            Assert.Single(await RecordsAsync(app, "knowledge:kept"));
            await AssertVerifiesAsync(app);
            afterFirstRestart = await RecordsAsync(app);
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            Assert.Equal(afterFirstRestart.Select(r => r.GetProperty("seq").GetInt64()), (await RecordsAsync(app)).Select(r => r.GetProperty("seq").GetInt64()));
            await AssertVerifiesAsync(app);
        }
    }

    [Fact]
    public async Task DeleteWithoutItsRecord_IsRecordedAsDeleted_OnTheNextStart_Once()
    {
        var dir = TempDirectory.Create();
        string hash;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            hash = await IngestOverHttpAsync(app, "faq", Faq);
            Assert.NotNull(await app.Services.GetRequiredService<KnowledgeService>().DeleteDocumentAsync("faq"));
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var records = await RecordsAsync(app, "knowledge:faq");
            Assert.Equal([KnowledgeAudit.Deleted, KnowledgeAudit.Ingested], records.Select(r => r.GetProperty("action").GetString()));
            Assert.Equal(KnowledgeAudit.RecoveredActor, records[0].GetProperty("actor").GetString());
            Assert.Equal(hash, records[0].GetProperty("data").GetProperty("contentHash").GetString());
            Assert.True(records[0].GetProperty("data").GetProperty("recovered").GetBoolean());
            await AssertVerifiesAsync(app);
        }

        await using (var app = await AgentCrmApp.StartAsync(dir))
            Assert.Equal(2, (await RecordsAsync(app, "knowledge:faq")).Count);
    }

    [Fact]
    public async Task TheLateAppend_OfAChangeAStartAlreadyRecovered_IsNotWrittenTwice()
    {
        // A start ran between the store's commit and the append (the CLI ingesting beside a starting server).
        var dir = TempDirectory.Create();
        IngestResult late;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            late = await app.Services.GetRequiredService<KnowledgeService>().IngestAsync(Faq, DocumentType.Markdown, "faq");

        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            await app.Services.GetRequiredService<KnowledgeAudit>().IngestedAsync("cli:late", [late]);

            var record = Assert.Single(await RecordsAsync(app, "knowledge:faq"));
            Assert.Equal(KnowledgeAudit.RecoveredActor, record.GetProperty("actor").GetString());
            // A later real change is recorded as usual.
            await IngestOverHttpAsync(app, "faq", Faq + "\nChanged.\n");
            Assert.Equal(2, (await RecordsAsync(app, "knowledge:faq")).Count);
        }
    }

    [Fact]
    public async Task BundledDocuments_IngestedOnTheFirstStart_AreRecordedBySystemBundled_Once()
    {
        var dir = TempDirectory.Create();
        var bundled = new Dictionary<string, string?> { ["Knowledge:IngestBundled"] = "true" };
        List<JsonElement> first;
        await using (var app = await AgentCrmApp.StartAsync(dir, bundled))
        {
            var documents = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().ToList();
            Assert.NotEmpty(documents);
            first = await RecordsAsync(app);
            Assert.Equal(documents.Select(d => $"knowledge:{d.GetProperty("id").GetString()}").Order(), first.Select(r => r.GetProperty("subject").GetString()).Order());
            Assert.All(first, r =>
            {
                Assert.Equal(KnowledgeAudit.BundledActor, r.GetProperty("actor").GetString());
                Assert.True(r.GetProperty("data").GetProperty("bundled").GetBoolean());
                Assert.Equal(documents.Single(d => $"knowledge:{d.GetProperty("id").GetString()}" == r.GetProperty("subject").GetString()).GetProperty("contentHash").GetString(),
                    r.GetProperty("data").GetProperty("contentHash").GetString());
            });
        }

        await using (var app = await AgentCrmApp.StartAsync(dir, bundled))
        {
            Assert.Equal(first.Count, (await RecordsAsync(app)).Count);
            await AssertVerifiesAsync(app);
        }
    }
}
