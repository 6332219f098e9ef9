using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// A problem's title is its status's reason phrase, whoever wrote it (an endpoint, a middleware, the framework): they
/// said "Not found" beside "Not Found", "Unsupported media type" beside "Unsupported Media Type", "Invalid request".
/// </summary>
public sealed class ProblemTitleTests
{
    [Fact]
    public async Task Problems_FromEndpointsMiddlewareAndTheFramework_AreTitledWithTheirStatusReasonPhrase()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await using var limitedApp = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Auth:RequestsPerSecond"] = "1", ["Auth:Burst"] = "1" });
        using var anonymous = await app.ClientAsync(role: null);
        using var integrator = await app.ClientAsync("integrator");
        using var limited = await limitedApp.ClientAsync("ops");
        static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
        var encoded = Json("{}");
        encoded.Headers.ContentEncoding.Add("gzip");
        var requests = new (string What, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status, string Title)[]
        {
            ("no route", () => app.Client.GetAsync("/v1/nothing"), HttpStatusCode.NotFound, "Not Found"),
            ("unknown agent", () => app.Client.GetAsync("/v1/agents/nope"), HttpStatusCode.NotFound, "Not Found"),
            ("wrong method", () => app.Client.DeleteAsync("/v1/events"), HttpStatusCode.MethodNotAllowed, "Method Not Allowed"),
            ("framework media type", () => app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/promote", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "Unsupported Media Type"),
            ("compressed body", () => app.Client.PostAsync("/v1/events", encoded), HttpStatusCode.UnsupportedMediaType, "Unsupported Media Type"),
            ("validation", () => app.Client.PostAsync("/v1/agents", Json("{\"id\":")), HttpStatusCode.BadRequest, "Bad Request"),
            ("gate", () => app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/shadow", null), HttpStatusCode.Conflict, "Conflict"),
            ("no credential", () => anonymous.GetAsync("/v1/agents"), HttpStatusCode.Unauthorized, "Unauthorized"),
            ("role", () => integrator.GetAsync("/v1/audit"), HttpStatusCode.Forbidden, "Forbidden"),
            ("too large", () => app.Client.PostAsync("/v1/agents/renewal-risk/versions/1.0.1/promote", Json(new string(' ', 70 * 1024) + "{}")), HttpStatusCode.RequestEntityTooLarge, "Payload Too Large"),
        };
        var wrong = new List<string>();
        foreach (var (what, send, status, title) in requests)
        {
            using var response = await send();
            var problem = await response.ProblemAsync(status);
            if (problem.GetProperty("title").GetString() != title)
                wrong.Add($"{what}: {(int)status} titled '{problem.GetProperty("title").GetString()}', expected '{title}'");
        }
        using (await limited.GetAsync("/v1/agents"))
        using (var over = await limited.GetAsync("/v1/agents"))
        using (var again = await limited.GetAsync("/v1/agents"))
        {
            var rejected = over.StatusCode == HttpStatusCode.TooManyRequests ? over : again;
            Assert.Equal("Too Many Requests", (await rejected.ProblemAsync(HttpStatusCode.TooManyRequests)).GetProperty("title").GetString());
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
