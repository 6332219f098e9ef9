using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>Nothing on /v1 decodes a compressed body: one sent with a Content-Encoding is refused with 415 naming it, and nothing is stored.</summary>
public sealed class ContentEncodingTests
{
    private static StringContent Encoded(string body, string mediaType, string encoding)
    {
        var content = new StringContent(body, Encoding.UTF8, mediaType);
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    [Fact]
    public async Task KnowledgeUpload_AndConsent_WithAContentEncoding_Are415NamingIt_AndStoreNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Plain bytes labelled as compressed: before, each was stored as if the label were not there.
        using (var ingest = await app.Client.PostAsync("/v1/knowledge/documents?id=enc", Encoded("# Encoded\n\nText.", "text/markdown", "br")))
        {
            var text = await ingest.Content.ReadAsStringAsync();
            Assert.True(ingest.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{(int)ingest.StatusCode} {text}");
            Assert.Null(AccessHttp.ProblemError(ingest.StatusCode, ingest.Content.Headers.ContentType?.MediaType, text));
            Assert.Contains("\"Content-Encoding\"", text, StringComparison.Ordinal);
        }

        using (var consent = await app.Client.PutAsync("/v1/customers/enc-1/consent", Encoded("""{"grants":[{"purpose":"*","categories":["*"]}]}""", "application/json", "deflate")))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, consent.StatusCode);
        // Routing ignores case: so does the check.
        using (var upper = await app.Client.PostAsync("/V1/events", Encoded("""{"id":"e","customerId":"enc-1","type":"login","occurredAt":"2026-11-01T09:00:00Z"}""", "application/json", "gzip")))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, upper.StatusCode);

        using var document = await app.Client.GetAsync("/v1/knowledge/documents/enc");
        Assert.Equal(HttpStatusCode.NotFound, document.StatusCode);
        using var customer = await app.Client.GetAsync("/v1/customers/enc-1");
        Assert.DoesNotContain("\"purpose\"", await customer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContentEncoding_WithoutACredential_IsAnsweredAsWithoutTheHeader()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = app.Client.BaseAddress };
        using var response = await anonymous.PostAsync("/v1/events", Encoded("{}", "application/json", "gzip"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var missing = await app.Client.PostAsync("/v1/no-such-thing", Encoded("{}", "application/json", "gzip"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task IdentityEncoding_IsAccepted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var consent = await app.Client.PutAsync("/v1/customers/enc-2/consent", Encoded("""{"grants":[{"purpose":"*","categories":["*"]}]}""", "application/json", "identity"));
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        Assert.Contains("\"purpose\"", await app.Client.GetStringAsync("/v1/customers/enc-2"), StringComparison.Ordinal);
    }
}
