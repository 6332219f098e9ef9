using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// <c>GET /openapi/{other}.json</c> answered a bare 404 (text/plain, no body) from the framework's OpenAPI endpoint, while
/// every other error is ProblemDetails whatever the Accept (QA pass on 22c20cb).
/// </summary>
public sealed class OpenApiUnknownDocumentTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("text/html")]
    public async Task UnknownOpenApiDocument_Is404ProblemDetails_AsAnyUnknownPath(string accept)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var client = new HttpClient { BaseAddress = app.Address };
        foreach (var path in new[] { "/openapi/v2.json", "/openapi/other.json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode} {body}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{path}: {response.Content.Headers.ContentType} '{body}'");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((404, "Not Found", "No endpoint matches this path; see /openapi/v1.json."),
                (problem.GetProperty("status").GetInt32(), problem.GetProperty("title").GetString(), problem.GetProperty("detail").GetString()));
        }

        using var document = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal("application/json", document.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(await document.Content.ReadAsStringAsync()).RootElement.TryGetProperty("paths", out _));
    }
}
