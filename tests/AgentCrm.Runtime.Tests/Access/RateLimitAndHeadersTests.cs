using System.Net;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>The per-credential rate limit (Auth:RequestsPerSecond, Auth:Burst) and the security headers on every answer.</summary>
public sealed class RateLimitAndHeadersTests
{
    private static Dictionary<string, string?> Limited() => new()
    {
        ["Auth:RequestsPerSecond"] = "5",
        ["Auth:Burst"] = "5",
    };

    [Fact]
    public async Task RateLimit_AfterTheBurst_KeyGets429ProblemWithRetryAfter_OtherKeyUnaffected_KeyRecovers()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limited());
        using var busy = await app.ClientAsync(AgentCrm.Access.Roles.Ops);
        using var other = await app.ClientAsync(AgentCrm.Access.Roles.Ops);

        // Eight times the burst, at once: the burst gets through, plus 5 per second that passes meanwhile.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => busy.GetAsync("/v1/agents")));
        var refills = (int)clock.Elapsed.TotalSeconds + 1;
        var ok = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(ok + limited.Count == responses.Length, "Expected only 200 and 429: " + string.Join(", ", responses.Select(r => (int)r.StatusCode)));
        Assert.InRange(ok, 5, 5 + (5 * refills));
        Assert.NotEmpty(limited);

        var rejected = limited[0];
        Assert.True(rejected.Headers.RetryAfter is not null, "429 without Retry-After");
        var body = await rejected.Content.ReadAsStringAsync();
        Assert.Null(AccessHttp.ProblemError(HttpStatusCode.TooManyRequests, rejected.Content.Headers.ContentType?.MediaType, body));
        Assert.Equal("nosniff", rejected.Headers.GetValues("X-Content-Type-Options").Single());

        // Another key has its own bucket.
        using (var fresh = await other.GetAsync("/v1/agents"))
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);

        // The limit is a rate: after the refill period the busy key works again. The bucket is refilled by a timer, once a
        // second, which a busy machine runs late: waited for (a key that never recovered would fail), not assumed after 1.2 s.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            using var again = await busy.GetAsync("/v1/agents");
            status = again.StatusCode;
        }
        while (status == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var r in responses)
            r.Dispose();
    }

    [Fact]
    public async Task RateLimit_DoesNotApplyToOperationsEndpoints()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limited());
        using var anonymous = await app.ClientAsync(null);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var response = await anonymous.GetAsync("/healthz");
            statuses.Add(response.StatusCode);
        }
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task Responses_Successful_Refused_NotFound_CarrySecurityHeaders()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var cases = new (string Path, string? Role, HttpStatusCode Expected)[]
        {
            ("/v1/agents", "admin", HttpStatusCode.OK),
            ("/v1/agents", null, HttpStatusCode.Unauthorized),
            ("/v1/audit", "integrator", HttpStatusCode.Forbidden),
            ("/v1/briefs/brf_nope", "ops", HttpStatusCode.NotFound),
            ("/v1/no-such-endpoint", "ops", HttpStatusCode.NotFound),
            ("/healthz", null, HttpStatusCode.OK),
        };
        foreach (var (path, role, expected) in cases)
        {
            using var client = await app.ClientAsync(role);
            using var response = await client.GetAsync(path);
            Assert.True(expected == response.StatusCode, $"{path} as {role ?? "anonymous"}: {(int)response.StatusCode}");
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            if (path.StartsWith("/v1/", StringComparison.Ordinal))
                Assert.True(response.Headers.CacheControl?.NoStore == true, $"{path}: expected Cache-Control: no-store");
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync();
                Assert.Null(AccessHttp.ProblemError(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body));
                Assert.Null(AccessHttp.Leak(body));
            }
        }
    }
}
