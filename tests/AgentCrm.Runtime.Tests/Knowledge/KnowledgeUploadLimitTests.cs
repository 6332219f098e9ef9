using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Access;

namespace AgentCrm.Runtime.Tests.Knowledge;

/// <summary>
/// A document over <c>Knowledge:MaxDocumentBytes</c> is a 413 ProblemDetails naming the limit, like every other upload:
/// raw or multipart, and before the rest of a declared body is read. Nothing is stored. The documents AgentCrm ships are
/// not uploads: a limit below one of them does not keep them out (it stopped the first start).
/// </summary>
public sealed class KnowledgeUploadLimitTests
{
    private const int Limit = 4096;

    private static Task<AgentCrmApp> StartAsync() =>
        AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Knowledge:MaxDocumentBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static string Markdown(int bytes) => "# Playbook\n\n" + new string('x', bytes - 12);

    private static async Task AssertTooLargeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"expected 413, got {(int)response.StatusCode}: {body}");
        Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        Assert.Contains("Knowledge:MaxDocumentBytes", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Document_OverTheLimit_Is413NamingIt_RawOrMultipart_AtTheLimit_Is201()
    {
        await using var app = await StartAsync();

        using (var raw = await app.Client.PostAsync("/v1/knowledge/documents?id=big", new StringContent(Markdown(Limit + 1), Encoding.UTF8, "text/markdown")))
            await AssertTooLargeAsync(raw);
        var form = new MultipartFormDataContent();
        var file = new StringContent(Markdown(Limit + 1), Encoding.UTF8);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/markdown");
        form.Add(file, "file", "big.md");
        using (var multipart = await app.Client.PostAsync("/v1/knowledge/documents", form))
            await AssertTooLargeAsync(multipart);
        Assert.Equal(0, (await app.GetJsonAsync("/v1/knowledge/documents")).GetProperty("items").GetArrayLength());

        using var fits = await app.Client.PostAsync("/v1/knowledge/documents?id=fits", new StringContent(Markdown(Limit), Encoding.UTF8, "text/markdown"));
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
    }

    [Fact]
    public async Task LimitBelowABundledDocument_FirstStartIngestsThemAll_RecordedBySystemBundled_AndAnUploadOverItIsStill413()
    {
        var gdpr = new FileInfo(Path.Combine(AgentCrm.Knowledge.BundledKnowledge.Directory, "gdpr_regulation_eu_2016_679_en.md")).Length;
        Assert.True(gdpr > Limit, $"the bundled GDPR text is {gdpr} bytes, not over the {Limit}-byte limit the test sets");
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Knowledge:IngestBundled"] = "true",
            ["Knowledge:MaxDocumentBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var ids = (await app.GetJsonAsync("/v1/knowledge/documents?limit=500")).GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.Contains("gdpr-regulation-eu-2016-679-en", ids);
        Assert.Contains("renewal-playbook", ids);
        // Ingested as the bundled files, not taken for a change that lost its record.
        var records = (await app.GetJsonAsync("/v1/audit?limit=500&subject=knowledge:*")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(ids.Count, records.Count);
        Assert.All(records, r => Assert.Equal(AgentCrm.Knowledge.KnowledgeAudit.BundledActor, r.GetProperty("actor").GetString()));

        using var raw = await app.Client.PostAsync("/v1/knowledge/documents?id=big", new StringContent(Markdown(Limit + 1), Encoding.UTF8, "text/markdown"));
        await AssertTooLargeAsync(raw);
    }

    [Fact]
    public async Task Document_DeclaredOverTheLimit_Is413BeforeTheBodyIsSent()
    {
        await using var app = await StartAsync();
        var key = app.Client.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        using var tcp = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tcp.ConnectAsync(app.Address.Host, app.Address.Port, timeout.Token);
        var stream = tcp.GetStream();
        // Declares a document just over the limit (far below any other upload limit) and sends none of it.
        var head = $"POST /v1/knowledge/documents?id=big HTTP/1.1\r\nHost: {app.Address.Authority}\r\nX-Api-Key: {key}\r\nContent-Type: text/markdown\r\nContent-Length: {Limit + 1}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);

        var received = new StringBuilder();
        var buffer = new byte[8192];
        while (!received.ToString().Contains("\"status\":413", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(n > 0, $"the connection closed without a 413: {received}");
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        Assert.StartsWith("HTTP/1.1 413", received.ToString(), StringComparison.Ordinal);
    }
}
