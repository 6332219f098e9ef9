using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>Documents over HTTP: re-uploads that change only metadata, one document by id, ids from file names and titles, and the audit trail.</summary>
public sealed class KnowledgeDocumentsApiTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n\n## Sessions\n\nSessions expire after 30 minutes of inactivity.\n";

    private static StringContent Markdown(string text) => new(text, Encoding.UTF8, "text/markdown");

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Reupload_SameBytesWithOtherTagsAndTitle_AppliesThem_SaysMetadataUpdated_AndIsAudited()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=security,faq", Markdown(Faq));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var hash = (await JsonOf(created)).GetProperty("contentHash").GetString();

        using var relabelled = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=other&title=Security%20questions", Markdown(Faq));

        Assert.Equal(HttpStatusCode.OK, relabelled.StatusCode);
        var answer = await JsonOf(relabelled);
        Assert.Equal("metadataUpdated", answer.GetProperty("status").GetString());
        Assert.Equal(["title", "tags"], answer.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(hash, answer.GetProperty("contentHash").GetString());
        var listed = (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "faq");
        Assert.Equal(["other"], listed.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Security questions", listed.GetProperty("title").GetString());
        // Search filters and citations see the new metadata too.
        var tagged = (await app.GetJsonAsync("/v1/knowledge/search?q=passwords%20hashes&tags=other")).GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(tagged, h => h.GetProperty("documentId").GetString() == "faq" && h.GetProperty("title").GetString() == "Security questions");
        Assert.DoesNotContain((await app.GetJsonAsync("/v1/knowledge/search?q=passwords%20hashes&tags=security")).GetProperty("items").EnumerateArray(), h => h.GetProperty("documentId").GetString() == "faq");

        using var again = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=other&title=Security%20questions", Markdown(Faq));
        Assert.Equal("unchanged", (await JsonOf(again)).GetProperty("status").GetString());

        var audit = (await app.GetJsonAsync("/v1/audit?subject=knowledge:faq")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["metadataUpdated", "created"], audit.Select(r => r.GetProperty("data").GetProperty("status").GetString()));
        Assert.All(audit, r =>
        {
            Assert.Equal("knowledge.ingested", r.GetProperty("action").GetString());
            Assert.Equal(hash, r.GetProperty("data").GetProperty("contentHash").GetString());
            Assert.StartsWith("key:", r.GetProperty("actor").GetString(), StringComparison.Ordinal);
        });

        // Tags not sent are kept; sent empty, they are cleared.
        using var untagged = await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(Faq));
        Assert.Equal("unchanged", (await JsonOf(untagged)).GetProperty("status").GetString());
        using var cleared = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=", Markdown(Faq));
        Assert.Equal(["tags"], (await JsonOf(cleared)).GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Empty((await app.GetJsonAsync("/v1/knowledge/documents/faq")).GetProperty("tags").EnumerateArray());
    }

    [Fact]
    public async Task Get_TheCreatedLocation_AnswersTheDocumentWithSectionsAndChunkIds_UnknownIs404Problem()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&tags=security", Markdown(Faq));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var got = await app.Client.GetAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        var document = await JsonOf(got);
        Assert.Equal("faq", document.GetProperty("id").GetString());
        Assert.Equal("Security FAQ", document.GetProperty("title").GetString());
        Assert.Equal(["security"], document.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var sections = document.GetProperty("sections").EnumerateArray().ToList();
        Assert.Equal(["Passwords", "Sessions"], sections.Select(s => s.GetProperty("heading").GetString()));
        var chunkIds = sections.SelectMany(s => s.GetProperty("chunkIds").EnumerateArray().Select(c => c.GetString())).ToList();
        Assert.Equal(document.GetProperty("chunks").GetInt32(), chunkIds.Count);
        // The ids a search cites are the ids listed here.
        var hit = (await app.GetJsonAsync("/v1/knowledge/search?q=session%20inactivity")).GetProperty("items")[0];
        Assert.Contains(hit.GetProperty("chunkId").GetString(), chunkIds);

        using var unknown = await app.Client.GetAsync("/v1/knowledge/documents/no-such-doc");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-such-doc", (await JsonOf(unknown)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var csm = await app.ClientAsync("csm");
        Assert.Equal(HttpStatusCode.Forbidden, (await csm.GetAsync("/v1/knowledge/documents/faq")).StatusCode);
    }

    [Fact]
    public async Task Delete_IsAudited_WithTheDeletedContentHash()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(Faq));
        var hash = (await JsonOf(created)).GetProperty("contentHash").GetString();

        using var deleted = await app.Client.DeleteAsync("/v1/knowledge/documents/faq");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var record = (await app.GetJsonAsync("/v1/audit?action=knowledge.deleted")).GetProperty("items").EnumerateArray().Single();
        Assert.Equal("knowledge:faq", record.GetProperty("subject").GetString());
        Assert.Equal(hash, record.GetProperty("data").GetProperty("contentHash").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/v1/knowledge/documents/faq")).StatusCode);
        Assert.True((await app.Client.PostAsync("/v1/audit/verify", null)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task RawUpload_WithAFileName_TakesTheIdTheCliGivesThatFile_WithoutOne_FromTheTitle()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var named = Markdown("# Onboarding playbook\n\nThe kick-off call names the customer's goals.\n");
        named.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "\"Onboarding.md\"" };

        using var withName = await app.Client.PostAsync("/v1/knowledge/documents", named);
        using var withoutName = await app.Client.PostAsync("/v1/knowledge/documents", Markdown("# Onboarding playbook\n\nThe kick-off call names the customer's goals.\n"));

        Assert.Equal("onboarding", (await JsonOf(withName)).GetProperty("documentId").GetString());
        Assert.Equal("/v1/knowledge/documents/onboarding", withName.Headers.Location?.OriginalString);
        Assert.Equal("onboarding-playbook", (await JsonOf(withoutName)).GetProperty("documentId").GetString());
    }

    // qa44d (case uploads), the same here: curl's -F "file=<x.md" sends the file's content as a text field; the answer says so
    // instead of "`file` is required".
    [Fact]
    public async Task MultipartUpload_TheFileSentAsATextField_IsToldToSendItAsAFile_NothingStored()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/knowledge/documents", new MultipartFormDataContent { { new StringContent("# Passwords\n\nRotate them."), "file" } });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.StartsWith("`file` is a file, not a text field", problem.GetProperty("errors").GetProperty("file")[0].GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain((await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").EnumerateArray(), d => d.GetProperty("title").GetString() == "Passwords");
    }

    private static MultipartFormDataContent FileForm(string fileName, string text) =>
        new() { { new StringContent(text, Encoding.UTF8, "text/markdown"), "file", fileName } };

    private static async Task<List<string?>> SearchedTextsAsync(AgentCrmApp app, string query) =>
        [.. (await app.GetJsonAsync($"/v1/knowledge/search?q={Uri.EscapeDataString(query)}")).GetProperty("items").EnumerateArray().Select(h => h.GetProperty("snippet").GetString())];

    /// <summary>qa44b F1: ids were cut to 64 characters, so a second file whose name shared the first 64 replaced the first.</summary>
    [Fact]
    public async Task MultipartUpload_TwoFileNamesSharingTheirFirst64Characters_AreTwoDocuments_EachReplacedByItsOwnName()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Emea = "2026-01-15-customer-success-renewal-escalation-procedure-for-region-emea.md";
        const string Apac = "2026-01-15-customer-success-renewal-escalation-procedure-for-region-apac.md";

        using var first = await app.Client.PostAsync("/v1/knowledge/documents", FileForm(Emea, "# EMEA escalation\n\nIn EMEA the walrus owner calls within two hours.\n"));
        using var second = await app.Client.PostAsync("/v1/knowledge/documents", FileForm(Apac, "# APAC escalation\n\nIn APAC the walrus owner calls within six hours.\n"));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, second.StatusCode));
        var emeaId = (await JsonOf(first)).GetProperty("documentId").GetString()!;
        var apacId = (await JsonOf(second)).GetProperty("documentId").GetString()!;
        Assert.NotEqual(emeaId, apacId);
        Assert.All([emeaId, apacId], id => Assert.StartsWith("2026-01-15-customer-success-renewal-escalation-procedure-for-reg-", id, StringComparison.Ordinal));
        Assert.Equal(["In APAC the walrus owner calls within six hours.", "In EMEA the walrus owner calls within two hours."],
            (await SearchedTextsAsync(app, "walrus owner calls")).Order(StringComparer.Ordinal));

        using var edited = await app.Client.PostAsync("/v1/knowledge/documents", FileForm(Emea, "# EMEA escalation\n\nIn EMEA the walrus owner calls within one hour.\n"));
        Assert.Equal(("replaced", emeaId), ((await JsonOf(edited)).GetProperty("status").GetString(), (await JsonOf(edited)).GetProperty("documentId").GetString()));
        Assert.Equal(2, (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").GetArrayLength());
    }

    /// <summary>qa44b F3: a name with no a–z or 0–9 gave no id, so each edited upload was another document (its content's hash).</summary>
    [Fact]
    public async Task MultipartUpload_AFileNameInAnotherScript_GivesTheSameIdEachTime_AnEditedUploadReplacesIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Name = "Регламент отчёта.md";

        using var first = await app.Client.PostAsync("/v1/knowledge/documents", FileForm(Name, "# Регламент\n\nThe quokka escalation rule: call within two hours.\n"));
        using var edited = await app.Client.PostAsync("/v1/knowledge/documents", FileForm(Name, "# Регламент\n\nThe quokka escalation rule: call within four hours.\n"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await JsonOf(first)).GetProperty("documentId").GetString()!;
        Assert.Equal(AgentCrm.Knowledge.Retrieval.DocumentIds.FromFileName(Name), id);
        Assert.DoesNotContain("doc-", id, StringComparison.Ordinal);
        var answer = await JsonOf(edited);
        Assert.Equal(("replaced", id), (answer.GetProperty("status").GetString(), answer.GetProperty("documentId").GetString()));
        Assert.Equal(["The quokka escalation rule: call within four hours."], await SearchedTextsAsync(app, "quokka escalation rule"));
        // The name as a Mac sends it (ё decomposed) and in capitals is the same name.
        using var decomposed = await app.Client.PostAsync("/v1/knowledge/documents", FileForm("РЕГЛАМЕНТ ОТЧЁТА".Normalize(NormalizationForm.FormD) + ".md", "# Регламент\n\nThe quokka escalation rule: call within four hours.\n"));
        Assert.Equal(("unchanged", id), ((await JsonOf(decomposed)).GetProperty("status").GetString(), (await JsonOf(decomposed)).GetProperty("documentId").GetString()));
    }

    /// <summary>
    /// qa44b F2: after a re-upload that changed only the title, the text before the first heading kept the old title as its
    /// section: listed and cited under it, found by its words, and taken as a heading — after a restart too.
    /// </summary>
    [Fact]
    public async Task Reupload_OnlyANewTitle_RefilesTheOpeningText_FoundByTheNewTitleNotTheOld_AcrossARestart()
    {
        const string Text = "The quokka escalation procedure applies when a customer reports three outages in one week.\n\nCall the account owner within two hours.\n";
        var data = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=quokka&title=Draft%20zebra%20memo", new StringContent(Text, Encoding.UTF8, "text/plain"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            using var retitled = await app.Client.PostAsync("/v1/knowledge/documents?id=quokka&title=Outage%20escalation", new StringContent(Text, Encoding.UTF8, "text/plain"));

            var answer = await JsonOf(retitled);
            Assert.Equal(("metadataUpdated", "title"), (answer.GetProperty("status").GetString(), answer.GetProperty("changed").EnumerateArray().Single().GetString()));
        }

        await using var restarted = await AgentCrmApp.StartAsync(data);
        var document = await restarted.GetJsonAsync("/v1/knowledge/documents/quokka");
        Assert.Equal("Outage escalation", document.GetProperty("title").GetString());
        Assert.Equal(["Outage escalation"], document.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("heading").GetString()));
        Assert.Empty((await restarted.GetJsonAsync("/v1/knowledge/search?q=zebra")).GetProperty("items").EnumerateArray());
        var hit = (await restarted.GetJsonAsync("/v1/knowledge/search?q=outage%20escalation")).GetProperty("items")[0];
        Assert.Equal(("quokka", "Outage escalation", "Outage escalation"), (hit.GetProperty("documentId").GetString(), hit.GetProperty("title").GetString(), hit.GetProperty("section").GetString()));
    }

    /// <summary>qa44b F2: an H1 past the title's 200 characters gave the title cut to 200 and the opening text the whole H1 as its section.</summary>
    [Fact]
    public async Task Upload_AnH1PastTheTitleLimit_FilesTheOpeningTextUnderTheTitleAsStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var h1 = string.Join(' ', Enumerable.Repeat("renewal", 32)) + " escalation";

        using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=long-title", Markdown($"# {h1}\n\nCall the account owner within two hours.\n\n## Later\n\nThen write it down.\n"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var document = await app.GetJsonAsync("/v1/knowledge/documents/long-title");
        var title = document.GetProperty("title").GetString()!;
        Assert.True(title.Length <= 200 && h1.StartsWith(title, StringComparison.Ordinal), title);
        Assert.Equal([title, "Later"], document.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("heading").GetString()));
    }
}
