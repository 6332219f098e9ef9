using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// Every /v1 body is read as plain UTF-8: one sent with a Content-Encoding, or declared in another charset, is refused with
/// 415 naming the header, and nothing is stored.
/// </summary>
public sealed class BodyEncodingTests
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

    [Fact]
    public async Task Event_DeclaredInAnotherCharset_Is415NamingContentType_AndIsNotStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string Event = """{"id":"cs-1","customerId":"charset-1","type":"login","occurredAt":"2026-11-01T09:00:00Z"}""";
        // A .NET client's Encoding.Unicode: the body really is UTF-16; before, it was "malformed JSON" at its first byte.
        using (var utf16 = await app.Client.PostAsync("/v1/events", new StringContent(Event, Encoding.Unicode, "application/json")))
        {
            var text = await utf16.Content.ReadAsStringAsync();
            Assert.True(utf16.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{(int)utf16.StatusCode} {text}");
            Assert.Null(AccessHttp.ProblemError(utf16.StatusCode, utf16.Content.Headers.ContentType?.MediaType, text));
            Assert.Contains("\"Content-Type\"", text, StringComparison.Ordinal);
            Assert.Contains("utf-16", text, StringComparison.Ordinal);
        }
        using (var latin1 = new StringContent("# Latin\n\nCaf\u00e9.", Encoding.Latin1, "text/markdown"))
        using (var document = await app.Client.PostAsync("/v1/knowledge/documents?id=latin", latin1))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, document.StatusCode);
        // Refused, not stored: the same event in UTF-8 is new.
        using var again = await app.Client.PostAsync("/v1/events", new StringContent(Event, Encoding.UTF8, "application/json"));
        Assert.Contains("\"duplicates\":0", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var stored = await app.Client.GetAsync("/v1/knowledge/documents/latin");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json;charset=utf8")]
    [InlineData("application/json; charset=us-ascii")]
    public async Task Event_DeclaredAsUtf8OrAscii_IsAccepted(string contentType)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"id":"cs-2","customerId":"charset-2","type":"login","occurredAt":"2026-11-01T09:00:00Z"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await app.Client.PostAsync("/v1/events", content);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task EmptyBody_DeclaredInAnotherCharset_IsAccepted()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Apache HttpClient's StringEntity labels even an empty body ISO-8859-1: there is nothing to mis-decode.
        using var content = new ByteArrayContent([]);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=ISO-8859-1");
        using var response = await app.Client.PostAsync("/v1/audit/verify", content);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
