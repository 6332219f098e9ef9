using System.Net;
using System.Text;
using AgentCrm.Access;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// Every endpoint × every credential: 401 without a valid one, 403 for a role API.md does not give the
/// endpoint, and through to the handler (the status the handler answers) for the roles it does — by API
/// key and by JWT bearer alike. The table must classify every /v1 endpoint the server maps.
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixTests.Server server) : IClassFixture<AuthorizationMatrixTests.Server>
{
    private const string Csm = "csm-matrix";
    private const string Customer = "matrix-customer";

    /// <summary>One endpoint: who may call it, and a request the handler answers with one of <see cref="Answers"/>.</summary>
    public sealed record Row(string Method, string Pattern, string[] Roles, Func<HttpRequestMessage> Request, params int[] Answers)
    {
        public string Key => $"{Method} {Pattern}";

        /// <summary>Another form of the same endpoint's request (e.g. an upload instead of JSON), checked as its own row.</summary>
        public string? Variant { get; init; }

        public string Name => Variant is null ? Key : $"{Key} ({Variant})";
    }

    private static readonly string[] Everyone = [Roles.Admin, Roles.Ops, Roles.Csm, Roles.Reviewer, Roles.Integrator, Roles.Metrics];
    private static readonly string[] Readers = [Roles.Ops, Roles.Csm, Roles.Reviewer];

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Delete(string path) => new(HttpMethod.Delete, path);

    private static HttpRequestMessage Send(HttpMethod method, string path, string body, string contentType = "application/json") =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };

    private static HttpRequestMessage Post(string path, string body, string contentType = "application/json") => Send(HttpMethod.Post, path, body, contentType);

    private static MultipartFormDataContent Upload() => new()
    {
        { new StringContent("id,tenure,churned\nm1,3,1\nm2,40,0\n", Encoding.UTF8, "text/csv"), "cases", "cases.csv" },
        { new StringContent("name: matrix\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n", Encoding.UTF8, "application/yaml"), "mapping", "mapping.yaml" },
    };

    private static int _events;

    private static string NewEvent() =>
        $$$"""{"id":"matrix-ev-{{{Interlocked.Increment(ref _events)}}}-{{{Guid.NewGuid():N}}}","customerId":"matrix-events","type":"nps","occurredAt":"2026-01-05T10:00:00Z","source":"test","attributes":{"score":8}}""";

    private const string Manifest = """
        {"id":"matrix-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],
         "reads":["nps.latest"],"purpose":"customer-success","threshold":0.9}
        """;

    /// <summary>The expected table (API.md). Admin is always allowed; the rest per endpoint.</summary>
    public static readonly IReadOnlyList<Row> Table =
    [
        new("POST", "/v1/events", [Roles.Integrator, Roles.Ops], () => Post("/v1/events", NewEvent()), 202),
        new("GET", "/v1/dead-letters", [Roles.Ops], () => Get("/v1/dead-letters"), 200),
        new("POST", "/v1/dead-letters/replay", [Roles.Ops], () => Post("/v1/dead-letters/replay", """{"seqs":[999999999]}"""), 200),

        new("POST", "/v1/agents", [Roles.Ops], () => Post("/v1/agents", Manifest), 200, 201),
        new("GET", "/v1/agents", Readers, () => Get("/v1/agents"), 200),
        new("GET", "/v1/agents/{id}", Readers, () => Get("/v1/agents/renewal-risk"), 200),
        new("GET", "/v1/agents/{id}/versions/{version}", Readers, () => Get("/v1/agents/renewal-risk/versions/1.0.1"), 200),
        new("DELETE", "/v1/agents/{id}", [Roles.Ops], () => Delete("/v1/agents/no-such-agent"), 404),
        new("POST", "/v1/agents/plugins", [Roles.Ops], () => Post("/v1/agents/plugins", "{}"), 415),
        new("POST", "/v1/agents/fit", [Roles.Ops], () => Post("/v1/agents/fit", "{}"), 400),
        new("POST", "/v1/agents/{id}/versions/{version}/promote", [Roles.Ops], () => Post("/v1/agents/no-such-agent/versions/1.0.0/promote", """{"canaryPercent":100}"""), 404),
        new("POST", "/v1/agents/{id}/versions/{version}/evaluate", [Roles.Ops], () => Post("/v1/agents/no-such-agent/versions/1.0.0/evaluate", """{"caseSet":"telco-churn"}"""), 404),
        new("POST", "/v1/agents/{id}/versions/{version}/evaluate", [Roles.Ops], () => new HttpRequestMessage(HttpMethod.Post, "/v1/agents/no-such-agent/versions/1.0.0/evaluate") { Content = Upload() }, 404) { Variant = "case file upload" },
        new("GET", "/v1/agents/{id}/versions/{version}/reports/latest", Readers, () => Get("/v1/agents/no-such-agent/versions/1.0.0/reports/latest"), 404),
        new("POST", "/v1/agents/{id}/versions/{version}/shadow", [Roles.Ops], () => Post("/v1/agents/no-such-agent/versions/1.0.0/shadow", ""), 404),
        new("POST", "/v1/agents/{id}/rollback", [Roles.Ops], () => Post("/v1/agents/no-such-agent/rollback", ""), 404),
        new("GET", "/v1/agents/{id}/health", Readers, () => Get("/v1/agents/renewal-risk/health"), 200),
        new("GET", "/v1/jobs/{jobId}", Readers, () => Get("/v1/jobs/job-nope"), 404),
        new("GET", "/v1/jobs", [Roles.Ops], () => Get("/v1/jobs"), 200),
        new("DELETE", "/v1/jobs/{jobId}", [Roles.Ops], () => Delete("/v1/jobs/job-nope"), 404),
        new("GET", "/v1/reports/{reportId}", Readers, () => Get("/v1/reports/rep_nope"), 404),

        new("GET", "/v1/cases", [Roles.Ops, Roles.Reviewer], () => Get("/v1/cases"), 200),
        new("GET", "/v1/cases/{name}", [Roles.Ops, Roles.Reviewer], () => Get("/v1/cases/telco-churn"), 200),
        new("POST", "/v1/cases/{name}", [Roles.Ops], () => Post("/v1/cases/matrix-cases", "{}"), 415),
        new("DELETE", "/v1/cases/{name}", [Roles.Ops], () => Delete("/v1/cases/no-such-set"), 404),

        new("GET", "/v1/briefs", Readers, () => Get("/v1/briefs"), 200),
        new("GET", "/v1/briefs/stream", Readers, () => Get("/v1/briefs/stream"), 200),
        new("GET", "/v1/briefs/{id}", Readers, () => Get("/v1/briefs/brf_nope"), 404),
        new("GET", "/v1/briefs/{id}/evidence", Readers, () => Get("/v1/briefs/brf_nope/evidence"), 404),

        new("GET", "/v1/reviews", [Roles.Reviewer], () => Get("/v1/reviews"), 200),
        new("POST", "/v1/briefs/{id}/veto", [Roles.Reviewer], () => Post("/v1/briefs/brf_nope/veto", """{"reason":"wrong customer"}"""), 404),
        new("POST", "/v1/briefs/{id}/approve", [Roles.Reviewer], () => Post("/v1/briefs/brf_nope/approve", "{}"), 404),
        new("POST", "/v1/briefs/{id}/acknowledge", [Roles.Csm], () => new HttpRequestMessage(HttpMethod.Post, "/v1/briefs/brf_nope/acknowledge"), 404),
        new("POST", "/v1/briefs/{id}/feedback", [Roles.Csm], () => Post("/v1/briefs/brf_nope/feedback", """{"useful":true}"""), 404),

        new("GET", "/v1/customers/{id}", Readers, () => Get($"/v1/customers/{Customer}"), 200),
        new("PUT", "/v1/customers/{id}/consent", [Roles.Ops], () => Send(HttpMethod.Put, "/v1/customers/matrix-consent/consent", """{"grants":[{"purpose":"*","categories":["*"]}]}"""), 200),
        new("PUT", "/v1/csms/{csmId}/accounts", [], () => Send(HttpMethod.Put, "/v1/csms/csm-other/accounts", """{"accounts":["someone"]}"""), 200),
        new("GET", "/v1/csms/{csmId}/accounts", [], () => Get("/v1/csms/csm-other/accounts"), 200),
        new("GET", "/v1/me", Everyone, () => Get("/v1/me"), 200),

        new("GET", "/v1/audit", [Roles.Reviewer], () => Get("/v1/audit"), 200),
        new("POST", "/v1/webhooks", [Roles.Ops], () => Post("/v1/webhooks", """{"url":"ftp://matrix.invalid/hook"}"""), 400),
        new("GET", "/v1/webhooks", [Roles.Ops], () => Get("/v1/webhooks"), 200),
        new("GET", "/v1/webhooks/{id}", [Roles.Ops], () => Get("/v1/webhooks/wh_nope"), 404),
        new("DELETE", "/v1/webhooks/{id}", [Roles.Ops], () => Delete("/v1/webhooks/wh_nope"), 404),
        new("POST", "/v1/webhooks/{id}/secret", [Roles.Ops], () => Post("/v1/webhooks/wh_nope/secret", "{}"), 404),
        new("POST", "/v1/webhooks/{id}/enable", [Roles.Ops], () => Post("/v1/webhooks/wh_nope/enable", ""), 404),
        new("POST", "/v1/audit/verify", [Roles.Reviewer], () => Post("/v1/audit/verify", ""), 200),

        new("POST", "/v1/knowledge/documents", [Roles.Ops], () => Post("/v1/knowledge/documents?id=matrix-doc&title=Matrix", "# Renewals\n\nCall the customer before the contract ends.", "text/markdown"), 200, 201),
        new("GET", "/v1/knowledge/documents", [Roles.Ops], () => Get("/v1/knowledge/documents"), 200),
        new("GET", "/v1/knowledge/documents/{id}", [Roles.Ops], () => Get("/v1/knowledge/documents/no-such-doc"), 404),
        new("DELETE", "/v1/knowledge/documents/{id}", [Roles.Ops], () => Delete("/v1/knowledge/documents/no-such-doc"), 404),
        new("GET", "/v1/knowledge/search", Readers, () => Get("/v1/knowledge/search?q=renewal"), 200),
    ];

    /// <summary>Outside the scheme (API.md "Operations"): anyone may call them.</summary>
    private static readonly string[] Open = ["/healthz", "/readyz", "/openapi/v1.json", "/console", "/console/app.js", "/console/app.css"];

    public static TheoryData<string> Endpoints() => new(Table.Select(r => r.Name));

    [Fact]
    public void Table_ClassifiesEveryV1EndpointTheServerMaps()
    {
        var mapped = server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {Normalize(e.RoutePattern.RawText)}"))
            .ToHashSet(StringComparer.Ordinal);
        var expected = Table.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var unclassified = mapped.Where(k => k.Split(' ')[1].StartsWith("/v1/", StringComparison.Ordinal) && !expected.Contains(k)).Order().ToList();
        Assert.True(unclassified.Count == 0, "Endpoints missing from the authorization table (classify them): " + string.Join(", ", unclassified));
        var stale = expected.Where(k => !mapped.Contains(k)).Order().ToList();
        Assert.True(stale.Count == 0, "Table rows the server no longer maps: " + string.Join(", ", stale));
        Assert.Equal(Table.Count, Table.Select(r => r.Name).Distinct().Count());
    }

    private static string Normalize(string? pattern) => "/" + (pattern ?? "").Trim('/');

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_EachCredential_GetsTheStatusItsRoleAllows(string key)
    {
        var row = Table.Single(r => r.Name == key);
        var failures = new List<string>();
        foreach (var (label, apiKey, bearer) in server.Refused)
            await ExpectAsync(row, label, apiKey, bearer, expectAllowed: false, status: 401, failures);
        foreach (var (role, apiKey, bearer) in server.Roles)
        {
            var allowed = role == Roles.Admin || row.Roles.Contains(role);
            await ExpectAsync(row, $"{role} (API key)", apiKey, null, allowed, 403, failures);
            await ExpectAsync(row, $"{role} (JWT)", null, bearer, allowed, 403, failures);
        }
        Assert.True(failures.Count == 0, $"{key}:\n" + string.Join("\n", failures));
    }

    private async Task ExpectAsync(Row row, string who, string? apiKey, string? bearer, bool expectAllowed, int status, List<string> failures)
    {
        using var request = row.Request();
        AccessHttp.Authenticate(request, apiKey, bearer);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // Headers only: the stream endpoint answers 200 and then stays open.
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var code = (int)response.StatusCode;
        if (expectAllowed)
        {
            if (!row.Answers.Contains(code))
                failures.Add($"{who}: expected the handler's {string.Join(" or ", row.Answers)}, got {code}: {await BodyAsync(response)}");
            return;
        }
        var body = await BodyAsync(response);
        if (code != status)
            failures.Add($"{who}: expected {status}, got {code}: {body}");
        else if (AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body) is { } problem)
            failures.Add($"{who}: {status} is not a ProblemDetails: {problem}");
        else if (status == 401 && !response.Headers.WwwAuthenticate.Any())
            failures.Add($"{who}: 401 without WWW-Authenticate");
    }

    private static async Task<string> BodyAsync(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "(event stream)" : await response.Content.ReadAsStringAsync();

    [Fact]
    public async Task OperationsEndpoints_AnswerWithoutCredentials()
    {
        foreach (var path in Open)
        {
            using var response = await server.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task RefusedCredential_DetailSaysWhy_WithoutEchoingTheSecret()
    {
        var (_, revokedKey, _) = server.Refused.Single(r => r.Label == "revoked admin key");
        using var request = Get("/v1/agents");
        AccessHttp.Authenticate(request, revokedKey, null);
        using var response = await server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("API key", body, StringComparison.Ordinal);
        Assert.DoesNotContain(revokedKey!, body, StringComparison.Ordinal);

        var expired = server.Refused.Single(r => r.Label == "expired bearer").Bearer!;
        using var bearerRequest = Get("/v1/agents");
        AccessHttp.Authenticate(bearerRequest, null, expired);
        using var bearerResponse = await server.Http.SendAsync(bearerRequest);
        var bearerBody = await bearerResponse.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, bearerResponse.StatusCode);
        Assert.Contains("expired", bearerBody, StringComparison.Ordinal);
        Assert.DoesNotContain(expired, bearerBody, StringComparison.Ordinal);

        using var forbidden = Get("/v1/audit");
        AccessHttp.Authenticate(forbidden, server.Roles.Single(r => r.Role == Roles.Integrator).ApiKey, null);
        using var forbiddenResponse = await server.Http.SendAsync(forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenResponse.StatusCode);
        Assert.Contains("integrator", await forbiddenResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>One server with a key and a token for each role, and credentials that must be refused.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

        public List<(string Role, string ApiKey, string Bearer)> Roles { get; } = [];

        public List<(string Label, string? ApiKey, string? Bearer)> Refused { get; } = [];

        public async Task InitializeAsync()
        {
            App = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
            Http.BaseAddress = App.Address;
            foreach (var role in Everyone)
            {
                var name = role == AgentCrm.Access.Roles.Csm ? Csm : $"matrix-{role}";
                Roles.Add((role, await App.CreateKeyAsync(role, name), AccessHttp.Token(name, role)));
            }
            var keys = App.Services.GetRequiredService<ApiKeyStore>();
            var revoked = await App.CreateKeyAsync(AgentCrm.Access.Roles.Admin, "matrix-revoked");
            await keys.RevokeAsync("matrix-revoked", "test");
            Refused.Add(("anonymous", null, null));
            Refused.Add(("revoked admin key", revoked, null));
            Refused.Add(("unknown key", ApiKeyStore.Prefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", null));
            Refused.Add(("garbage key", "not a key at all", null));
            Refused.Add(("garbage bearer", null, "abc.def.ghi"));
            Refused.Add(("bearer signed with another key", null, AccessHttp.Token("mallory", AgentCrm.Access.Roles.Admin, wrongKey: true)));
            Refused.Add(("expired bearer", null, AccessHttp.Token("matrix-admin", AgentCrm.Access.Roles.Admin, DateTime.UtcNow.AddMinutes(-10))));
            Refused.Add(("bearer for another audience", null, AccessHttp.Token("matrix-admin", AgentCrm.Access.Roles.Admin, audience: "another-api")));
            Refused.Add(("bearer with an unknown role", null, AccessHttp.Token("matrix-root", "root")));

            // The CSM reads one customer; GET /v1/customers/{id} answers 200 once its events are processed.
            using var assign = await App.Client.PutAsync($"/v1/csms/{Csm}/accounts", new StringContent($$"""{"accounts":["{{Customer}}"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, assign.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await App.PostEventsAsync([Ev.Make(Customer, "nps", DateTimeOffset.UtcNow.AddDays(-1), new { score = 7 })])).StatusCode);
            await App.WaitForProcessingAsync();
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await App.DisposeAsync();
        }
    }
}
