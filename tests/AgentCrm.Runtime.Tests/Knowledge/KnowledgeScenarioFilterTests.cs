using System.Net;
using System.Text;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A document's scenario over HTTP: sent empty in a raw upload's query string it clears the scenario (as `tags=` clears the
/// tags, and as a multipart form's empty field does); a search filter no document could carry is refused naming it.
/// </summary>
public sealed class KnowledgeScenarioFilterTests
{
    private const string Faq = "# Security FAQ\n\n## Passwords\n\nPasswords are stored as salted hashes.\n";

    private static StringContent Markdown(string text) => new(text, Encoding.UTF8, "text/markdown");

    [Fact]
    public async Task RawUpload_ScenarioSentEmpty_ClearsIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var created = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&scenario=renewal-risk", Markdown(Faq));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("renewal-risk", (await app.GetJsonAsync("/v1/knowledge/documents/faq")).GetProperty("scenario").GetString());

        using var kept = await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(Faq));
        Assert.Equal("unchanged", JsonDocument.Parse(await kept.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        using var cleared = await app.Client.PostAsync("/v1/knowledge/documents?id=faq&scenario=", Markdown(Faq));

        var body = await cleared.Content.ReadAsStringAsync();
        Assert.True(cleared.StatusCode == HttpStatusCode.OK, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal("metadataUpdated", answer.GetProperty("status").GetString());
        Assert.Equal(["scenario"], answer.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.Null, (await app.GetJsonAsync("/v1/knowledge/documents/faq")).GetProperty("scenario").ValueKind);
    }

    [Theory]
    [InlineData("scenario=BAD!!", "scenario")]
    [InlineData("scenario=Renewal-Risk", "scenario")]
    [InlineData("tags=no%20spaces", "tags")]
    [InlineData("documentId=FAQ.md!", "documentId")]
    public async Task Search_FilterNoDocumentCouldCarry_Is400NamingIt(string filter, string field)
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/knowledge/documents?id=faq", Markdown(Faq))).StatusCode);

        using var response = await app.Client.GetAsync($"/v1/knowledge/search?q=passwords&{filter}");

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal([field], JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Search_ValidFilters_StillSearch()
    {
        await using var app = await AgentCrmApp.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/v1/knowledge/documents?id=faq&scenario=renewal-risk&tags=security", Markdown(Faq))).StatusCode);

        foreach (var filter in new[] { "scenario=renewal-risk", "tags=security,other", "documentId=faq" })
            Assert.NotEmpty((await app.GetJsonAsync($"/v1/knowledge/search?q=passwords&{filter}")).GetProperty("items").EnumerateArray());
        Assert.Empty((await app.GetJsonAsync("/v1/knowledge/search?q=passwords&scenario=tender-detection")).GetProperty("items").EnumerateArray());
    }
}
