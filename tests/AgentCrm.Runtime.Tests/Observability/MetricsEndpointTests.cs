using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using AgentCrm.Actors;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.Access;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Intake;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCrm.Runtime.Tests.Observability;

/// <summary>GET /metrics over real HTTP: what an on-call engineer scrapes, who may scrape it, and what it must not reveal.</summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Scrape_AfterEventsAreAssessed_CountsTheWorkAndNamesNoCustomer()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string customer = "metrics-cust-7f3a9c";
        var events = Timelines.AtRisk(customer, DateTimeOffset.UtcNow);
        events.AddRange(Enumerable.Range(0, 20).Select(i => Ev.Make($"metrics-other-{i}", "usage", DateTimeOffset.UtcNow.AddMinutes(-i), new { quantity = 1 })));
        var posted = await app.PostEventsAsync(events);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        await app.WaitForProcessingAsync();
        var briefs = await app.BriefsAsync($"&customerId={customer}");
        Assert.NotEmpty(briefs);
        var ops = await app.ClientAsync("ops");

        var text = await ScrapeUntilAsync(ops, m => m.Sum("agentcrm_events_applied_total") >= events.Count, $"agentcrm_events_applied_total >= {events.Count}");
        var metrics = Prometheus.Parse(text);

        // The batch sent again is all duplicates: they take sequence numbers they do not keep, and are not counted as accepted.
        using (var again = await app.PostEventsAsync(events))
            Assert.Contains($"\"duplicates\":{events.Count}", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var fresh = await app.PostEventsAsync([Ev.Make("metrics-fresh", "usage", DateTimeOffset.UtcNow, new { quantity = 1 })]))
            Assert.Contains("\"accepted\":1", await fresh.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var pending = Prometheus.Parse(await ScrapeUntilAsync(ops, m => m.Sum("agentcrm_events_accepted_total") > events.Count, "the fresh event accepted"));
        // One event pending (or none, if its turn already ran): not the sequence numbers the replay took.
        Assert.InRange(pending.Single("agentcrm_inbox_lag"), 0, 1);
        await app.WaitForProcessingAsync();
        var stored = events.Select(e => (string)e["id"]!).Distinct().Count() + 1;
        // The exporter answers a scrape from its cache for a moment: scrape until the fresh event is in and its turn has run
        // (a scrape cached between the two counted the event and still showed it pending: lag 1).
        metrics = Prometheus.Parse(await ScrapeUntilAsync(ops, m => m.Sum("agentcrm_events_accepted_total") >= stored && m.Single("agentcrm_inbox_lag") == 0,
            $"agentcrm_events_accepted_total >= {stored} and agentcrm_inbox_lag 0"));
        Assert.True(app.Services.GetRequiredService<EventStore>().MaxSeq() > stored, "the replay took sequence numbers (the fresh event's is past them)");
        Assert.Equal(stored, metrics.Sum("agentcrm_events_accepted_total"));
        Assert.Equal(0, metrics.Single("agentcrm_inbox_lag"));
        Assert.Equal(0, metrics.Single("agentcrm_dead_letters"));
        Assert.True(metrics.Sum("agentcrm_storage_commits_total") > 0, "commits");
        Assert.True(metrics.Has("agentcrm_storage_failed_commits_total") && metrics.Sum("agentcrm_storage_failed_commits_total") == 0, "no failed commits");
        Assert.True(metrics.Sum("agentcrm_storage_operations_total") >= metrics.Sum("agentcrm_storage_commits_total"), "operations >= commits");
        Assert.True(metrics.Sum("agentcrm_storage_busy_seconds_total") > 0, "writer busy seconds");
        Assert.True(metrics.Has("agentcrm_storage_wal_size_bytes"), "WAL size");
        Assert.True(metrics.Sum("agentcrm_storage_database_size_bytes") > 0, "database size");
        Assert.True(metrics.Sum("agentcrm_agents_live") >= 1, "live agent versions");
        Assert.True(metrics.Has("agentcrm_actors_active"), "active actors");
        Assert.True(metrics.Sum("agentcrm_actors_turns_total") >= 1, "actor turns");
        Assert.True(metrics.Sum("agentcrm_briefs_written_total") >= briefs.Count, $"briefs written >= {briefs.Count}");
        var agent = briefs[0].GetProperty("agentId").GetString()!;
        Assert.True(metrics.Sum("agentcrm_agent_fired_total", ("agent", agent)) >= 1, $"{agent} fired");
        Assert.True(metrics.Sum("agentcrm_agent_assessments_total", ("agent", agent)) >= metrics.Sum("agentcrm_agent_fired_total", ("agent", agent)), "assessed >= fired");
        Assert.True(metrics.Has("agentcrm_assess_duration_milliseconds_bucket"), "assess duration histogram");
        // Series an alert compares with 0 are there before their first count: no duplicate, no error, no job yet.
        Assert.True(metrics.Has("agentcrm_events_duplicate_deliveries_total") && metrics.Sum("agentcrm_events_duplicate_deliveries_total") == 0, "duplicate deliveries 0");
        Assert.True(metrics.Has("agentcrm_assess_errors_total", ("agent", agent)) && metrics.Sum("agentcrm_assess_errors_total", ("agent", agent)) == 0, $"{agent} assess errors 0");
        foreach (var kind in new[] { "evaluate", "fit" })
            Assert.True(metrics.Has("agentcrm_jobs_running", ("kind", kind)) && metrics.Sum("agentcrm_jobs_running", ("kind", kind)) == 0, $"{kind} jobs running 0");
        // .NET's own meters come along: request durations by route template, connections, the runtime.
        Assert.True(metrics.Has("http_server_request_duration_seconds_bucket"), "ASP.NET Core request durations");
        Assert.True(metrics.Has("kestrel_active_connections"), "Kestrel connections");
        Assert.Contains("dotnet_", text);

        Assert.DoesNotContain(customer, text);
        Assert.DoesNotContain("metrics-other-", text);
        foreach (var e in events)
            Assert.DoesNotContain(e["id"]!.GetValue<string>(), text);
    }

    [Fact]
    public async Task Scrape_OfAServerThatTookNoEventYet_HoldsTheSeriesTheReadmeExportsFromTheStart()
    {
        await using var app = await AgentCrmApp.StartAsync();

        // No event posted, no job started: an alert on `== 0` or `absent()` needs these before the first count.
        var metrics = Prometheus.Parse(await ScrapeUntilAsync(app.Client, m => m.Has("agentcrm_inbox_lag"), "a scrape"));

        Assert.True(metrics.Has("agentcrm_events_duplicate_deliveries_total") && metrics.Sum("agentcrm_events_duplicate_deliveries_total") == 0, "duplicate deliveries 0");
        Assert.True(metrics.Has("agentcrm_events_applied_total") && metrics.Sum("agentcrm_events_applied_total") == 0, "events applied 0");
        foreach (var kind in new[] { "evaluate", "fit" })
            Assert.True(metrics.Has("agentcrm_jobs_running", ("kind", kind)) && metrics.Sum("agentcrm_jobs_running", ("kind", kind)) == 0, $"{kind} jobs running 0");
        Assert.True(metrics.Has("agentcrm_dead_letters") && metrics.Single("agentcrm_dead_letters") == 0, "dead letters 0");
        Assert.True(metrics.Has("agentcrm_storage_failed_commits_total") && metrics.Sum("agentcrm_storage_failed_commits_total") == 0, "failed commits 0");
    }

    [Fact]
    public async Task Scrape_NeedsMetricsOpsOrAdmin_AndAnswersOthersWithProblemDetails()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var anonymous = await app.ClientAsync(null);
        using var csm = await app.ClientAsync("csm");
        using var reviewer = await app.ClientAsync("reviewer");
        using var integrator = await app.ClientAsync("integrator");
        using var ops = await app.ClientAsync("ops");
        using var scraper = await app.ClientAsync("metrics");

        using (var response = await anonymous.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(response.Headers.WwwAuthenticate);
            Assert.DoesNotContain("agentcrm_", await response.Content.ReadAsStringAsync());
        }
        foreach (var other in new[] { csm, reviewer, integrator })
        {
            using var response = await other.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain("agentcrm_", await response.Content.ReadAsStringAsync());
        }
        foreach (var allowed in new[] { ops, scraper, app.Client })
        {
            using var response = await allowed.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("version=0.0.4", response.Content.Headers.ContentType?.ToString());
        }

        using (var posted = await ops.PostAsync("/metrics", null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, posted.StatusCode);
            Assert.DoesNotContain("agentcrm_", await posted.Content.ReadAsStringAsync());
        }

        using var bearer = new HttpClient { BaseAddress = app.Address };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessHttp.Token("scraper", "ops"));
        using var withoutJwt = await bearer.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, withoutJwt.StatusCode);
    }

    [Fact]
    public async Task MetricsKey_ReadsTheScrapeAndWhoItIs_AndIsRefusedEverywhereElse()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var scraper = await app.ClientAsync("metrics");

        using (var scrape = await scraper.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        using (var me = await scraper.GetAsync("/v1/me"))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Contains("\"role\":\"metrics\"", await me.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        foreach (var path in new[] { "/v1/briefs", "/v1/agents", "/v1/audit", "/v1/jobs", "/v1/webhooks", "/v1/knowledge/search?q=renewal", "/v1/dead-letters" })
        {
            using var response = await scraper.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode}");
        }
        using var events = await scraper.PostAsync("/v1/events", new StringContent("[]", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, events.StatusCode);
    }

    [Fact]
    public async Task Scrape_WithABearerTokenOfRoleOps_IsServed()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: AccessHttp.JwtSettings());
        using var ops = new HttpClient { BaseAddress = app.Address };
        ops.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessHttp.Token("prometheus", "ops"));
        using var csm = new HttpClient { BaseAddress = app.Address };
        csm.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessHttp.Token("csm-1", "csm"));

        using var served = await ops.GetAsync("/metrics");
        using var refused = await csm.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Scrape_WhenAnonymousIsAllowed_NeedsNoCredential()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Telemetry:Metrics:Anonymous"] = "true" });
        using var anonymous = await app.ClientAsync(null);

        using var response = await anonymous.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("agentcrm_inbox_lag", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Scrape_WhenDisabled_IsNotFound()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["Telemetry:Metrics:Enabled"] = "false" });

        using var response = await app.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Start_WithAnOtlpEndpointThatIsNoUri_FailsNamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4317" }));

        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT", error.Message);
    }

    /// <summary>
    /// The exporter's other standard variables, wrong: a protocol it does not speak fell back to gRPC (the collector got
    /// nothing, the log blamed the network), an interval that is no number was ignored, and unparsable headers stopped the
    /// start in a line naming no variable (qa42c #1, #3). Each now stops the start naming its variable; a header's value is
    /// never echoed.
    /// </summary>
    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "must be grpc or http/protobuf")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuff", "must be grpc or http/protobuf")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", "abc", "must be a whole number of milliseconds")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "Authorization Bearer s3cret", "entry 1 is not one")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme,=s3cret", "entry 2 is not one")]
    public async Task Start_WithAnOtlpSettingTheExporterWouldMisread_FailsNamingTheSetting(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            [key] = value,
        }));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An OTLP variable set but empty (a template's <c>${X:-}</c>) is unset for the exporter; the start check refused it (rev42b #2).</summary>
    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "")]
    [InlineData("OTEL_METRIC_EXPORT_INTERVAL", " ")]
    [InlineData("OTEL_EXPORTER_OTLP_TIMEOUT", "")]
    public async Task Start_WithAnEmptyOtlpVariable_Starts_AsTheExporterTreatsItAsUnset(string key, string value)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            [key] = value,
        });

        using var response = await app.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Scrape_CountsADeadLetter_AndOnlyThisServersEvents()
    {
        FlakyStateStore? flaky = null;
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp =>
            flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp)))));
        _ = app.Services.GetRequiredService<IActorStateStore>();
        // A second server in the same process, idle: its scrape must not show the first one's work.
        await using var idle = await AgentCrmApp.StartAsync();
        flaky!.FailNextSaves("fragile", 1 + 3);

        await app.PostEventsAsync([Ev.Make("fragile", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 4 })]);
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(60));

        var metrics = Prometheus.Parse(await ScrapeUntilAsync(app.Client, m => m.Single("agentcrm_dead_letters") == 1, "agentcrm_dead_letters == 1"));
        Assert.Equal(0, metrics.Single("agentcrm_inbox_lag"));
        var quiet = Prometheus.Parse(await ScrapeUntilAsync(idle.Client, _ => true, "a scrape"));
        Assert.Equal(0, quiet.Sum("agentcrm_events_accepted_total"));
        Assert.Equal(0, quiet.Sum("agentcrm_events_applied_total"));
        Assert.Equal(0, quiet.Single("agentcrm_dead_letters"));
    }

    [Fact]
    public async Task HealthRead_OfVersionsThatNeverRan_AddsNoSeriesToTheScrape()
    {
        await using var app = await AgentCrmApp.StartAsync();
        // Registered versions that never ran (never promoted): a health read must report zeros, not create per-version
        // counters that every later scrape exports and the process keeps for good.
        foreach (var version in new[] { "1.0.0", "1.0.1", "1.0.2" })
        {
            var yaml = $"id: idle-watch\nversion: {version}\nkind: rules\nscenario: test\nsubscribes: [support_ticket]\npurpose: customer-success\n"
                + "reads: [tickets.open]\nrules: { conditions: [{ name: many, when: tickets.open > 3, weight: 1 }] }\n";
            using var registered = await app.Client.PostAsync("/v1/agents", new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml"));
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }

        for (var i = 0; i < 2; i++)
        {
            var health = await app.GetJsonAsync("/v1/agents/idle-watch/health");
            Assert.Equal(3, health.GetProperty("versions").GetArrayLength());
            Assert.All(health.GetProperty("versions").EnumerateArray(), v => Assert.Equal(0, v.GetProperty("evaluations").GetInt64()));
        }

        // The first scrape of this server: nothing cached from before the reads.
        var text = await ScrapeUntilAsync(app.Client, m => m.Has("agentcrm_inbox_lag"), "a scrape");
        Assert.DoesNotContain("agent=\"idle-watch\"", text);
    }

    /// <summary>Scrapes until <paramref name="done"/> holds (responses are cached for 300 ms, and counters settle after the turn).</summary>
    private static async Task<string> ScrapeUntilAsync(HttpClient client, Func<Prometheus, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string text;
        do
        {
            using var response = await client.GetAsync("/metrics");
            text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /metrics answered {(int)response.StatusCode}: {text}");
            if (done(Prometheus.Parse(text)))
                return text;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Expected {expected} within 30 s; the last scrape was:\n{text}");
    }
}

/// <summary>The samples of a Prometheus text exposition: name, labels, value.</summary>
internal sealed class Prometheus
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public static Prometheus Parse(string text)
    {
        var parsed = new Prometheus();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var brace = line.IndexOf('{');
            string name;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string rest;
            if (brace >= 0 && brace < line.IndexOf(' '))
            {
                var close = line.LastIndexOf('}');
                name = line[..brace];
                foreach (var pair in line[(brace + 1)..close].Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=');
                    labels[pair[..eq].Trim(',', ' ')] = pair[(eq + 1)..].Trim('"');
                }
                rest = line[(close + 1)..].Trim();
            }
            else
            {
                name = line[..line.IndexOf(' ')];
                rest = line[(name.Length + 1)..].Trim();
            }
            // "value [timestamp]"
            var value = rest.Split(' ')[0];
            parsed._samples.Add((name, labels, value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            }));
        }
        return parsed;
    }

    public bool Has(string name, params (string Key, string Value)[] labels) =>
        _samples.Any(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    public double Sum(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    public double Single(string name)
    {
        var found = _samples.Where(s => s.Name == name).ToList();
        Assert.True(found.Count == 1, $"Expected one sample of {name}, found {found.Count}.");
        return found[0].Value;
    }
}
