using System.Net;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Runtime.Tests.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// How many brief streams a credential may hold open (Auth:Streams:MaxPerCredential) and the server in all
/// (Auth:Streams:MaxTotal): one CSM key held 1,500 open and nothing stopped it.
/// </summary>
public sealed class StreamLimitTests
{
    private static Dictionary<string, string?> Limits(int perCredential, int total = StreamLimits.DefaultMaxTotal) => new()
    {
        ["Auth:Streams:MaxPerCredential"] = perCredential.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Auth:Streams:MaxTotal"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Stream_PastTheCredentialsLimit_Is429NamingTheSetting_WhileAnotherCredentialConnects()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limits(2));
        using var anna = await app.ClientAsync(Roles.Csm, "csm-anna");
        using var bob = await app.ClientAsync(Roles.Csm, "csm-bob");
        using var first = await OpenAsync(anna);
        using var second = await OpenAsync(anna);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using var third = await OpenAsync(anna);
        // The status first: a stream answered 200 never ends, and reading its body would wait for ever.
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var body = await third.Content.ReadAsStringAsync();
        Assert.Null(AccessHttp.ProblemError(HttpStatusCode.TooManyRequests, third.Content.Headers.ContentType?.MediaType, body));
        Assert.Equal(TimeSpan.FromSeconds(5), third.Headers.RetryAfter?.Delta);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Contains("already holds 2 open brief streams", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("Auth:Streams:MaxPerCredential", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, problem.GetProperty("limit").GetInt32());
        Assert.Equal("Auth:Streams:MaxPerCredential", problem.GetProperty("setting").GetString());

        // Another credential has slots of its own; the refused one still holds its two.
        using var bobs = await OpenAsync(bob);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
        var slots = app.Services.GetRequiredService<StreamSlots>();
        Assert.Equal(2, slots.OpenFor(new Caller("csm-anna", Roles.Csm, "key")));
        Assert.Equal(3, slots.Open);

        var metrics = await ScrapeUntilAsync(app.Client, m => m.Sum("agentcrm_streams_refused_total", ("limit", "per_credential")) == 1, "one stream refused per credential");
        Assert.Equal(0, metrics.Sum("agentcrm_streams_refused_total", ("limit", "total")));
        Assert.Equal(3, metrics.Sum("agentcrm_streams_open"));
    }

    [Fact]
    public async Task Stream_PastTheServersLimit_Is429NamingMaxTotal_ForAFreshCredential()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limits(perCredential: 1, total: 2));
        // Exported from the start, before any stream: an alert on the refusals has a series to read.
        var before = await ScrapeUntilAsync(app.Client, m => m.Has("agentcrm_streams_open"), "the open streams gauge");
        Assert.True(before.Has("agentcrm_streams_refused_total", ("limit", "total")) && before.Sum("agentcrm_streams_refused_total") == 0, "refusals exported at 0");
        using var anna = await app.ClientAsync(Roles.Csm);
        using var bob = await app.ClientAsync(Roles.Reviewer);
        using var carol = await app.ClientAsync(Roles.Ops);
        using var annas = await OpenAsync(anna);
        using var bobs = await OpenAsync(bob);
        Assert.Equal(HttpStatusCode.OK, annas.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);

        using var carols = await OpenAsync(carol);
        Assert.Equal(HttpStatusCode.TooManyRequests, carols.StatusCode);
        var body = await carols.Content.ReadAsStringAsync();
        Assert.Null(AccessHttp.ProblemError(HttpStatusCode.TooManyRequests, carols.Content.Headers.ContentType?.MediaType, body));
        Assert.NotNull(carols.Headers.RetryAfter);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("Auth:Streams:MaxTotal", problem.GetProperty("setting").GetString());
        Assert.Contains("Auth:Streams:MaxTotal", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ScrapeUntilAsync(app.Client, m => m.Sum("agentcrm_streams_refused_total", ("limit", "total")) == 1, "one stream refused for the total");
    }

    [Fact]
    public async Task Stream_ClientDisconnects_FreesItsSlot()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limits(1));
        using var anna = await app.ClientAsync(Roles.Csm, "csm-anna");
        var slots = app.Services.GetRequiredService<StreamSlots>();
        var caller = new Caller("csm-anna", Roles.Csm, "key");
        var first = await OpenAsync(anna);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var refused = await OpenAsync(anna))
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // The client goes away without reading to the end (it never comes): its connection closes, no brief was ever sent.
        first.Dispose();
        await WaitUntilAsync(() => slots.OpenFor(caller) == 0, "the closed stream's slot to be given back");

        using var again = await OpenAsync(anna);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, slots.OpenFor(caller));
    }

    [Fact]
    public async Task Stream_HeadRequest_GivesItsSlotBack()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: Limits(1));
        using var anna = await app.ClientAsync(Roles.Csm, "csm-anna");
        var slots = app.Services.GetRequiredService<StreamSlots>();
        for (var i = 0; i < 3; i++)
        {
            using var head = await anna.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/briefs/stream"));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            await WaitUntilAsync(() => slots.Open == 0, "the HEAD answer's slot to be given back");
        }
    }

    [Fact]
    public async Task Stream_ServerStops_GivesEverySlotBack()
    {
        var app = await AgentCrmApp.StartAsync(settings: Limits(4));
        var slots = app.Services.GetRequiredService<StreamSlots>();
        using var anna = await app.ClientAsync(Roles.Csm);
        var streams = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 3; i++)
                streams.Add(await OpenAsync(anna));
            Assert.All(streams, s => Assert.Equal(HttpStatusCode.OK, s.StatusCode));
            Assert.Equal(3, slots.Open);
        }
        finally
        {
            // Stopping waits for the open requests, which end on the stop: their slots are given back by then.
            await app.DisposeAsync();
            foreach (var s in streams)
                s.Dispose();
        }
        Assert.Equal(0, slots.Open);
    }

    [Theory]
    [InlineData("Auth:Streams:MaxPerCredential", "0", "Auth:Streams:MaxPerCredential must be at least 1 (got 0).")]
    [InlineData("Auth:Streams:MaxTotal", "-1", "Auth:Streams:MaxTotal must be at least 1 (got -1).")]
    [InlineData("Auth:Streams:MaxTotal", "8", "Auth:Streams:MaxTotal (8) must be at least Auth:Streams:MaxPerCredential (16).")]
    [InlineData("Auth:Streams:Heartbeat", "00:00:00", "Auth:Streams:Heartbeat must be between 00:00:01 and 00:05:00 (got 00:00:00).")]
    [InlineData("Auth:Streams:Heartbeat", "00:10:00", "Auth:Streams:Heartbeat must be between 00:00:01 and 00:05:00 (got 00:10:00).")]
    [InlineData("Auth:Streams:MaxPerCredentials", "8", "Auth:Streams:MaxPerCredentials: not a setting; did you mean Auth:Streams:MaxPerCredential?")]
    public async Task Start_WithABadStreamLimit_FailsNamingTheKey(string key, string value, string failure)
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(failure, ex.Failures);
    }

    private static Task<HttpResponseMessage> OpenAsync(HttpClient client) =>
        client.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Expected {what} within 30 s.");
            await Task.Delay(20);
        }
    }

    /// <summary>Scrapes until <paramref name="done"/> holds (responses are cached for 300 ms).</summary>
    private static async Task<Prometheus> ScrapeUntilAsync(HttpClient client, Func<Prometheus, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string text;
        do
        {
            using var response = await client.GetAsync("/metrics");
            text = await response.Content.ReadAsStringAsync();
            var metrics = Prometheus.Parse(text);
            if (response.IsSuccessStatusCode && done(metrics))
                return metrics;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Expected {expected} within 30 s; the last scrape was:\n{text}");
    }
}
