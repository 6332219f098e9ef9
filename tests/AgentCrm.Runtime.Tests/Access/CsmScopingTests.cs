using System.Net;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;
using AgentCrm.Runtime.Tests.Sandbox;

namespace AgentCrm.Runtime.Tests.Access;

/// <summary>
/// A CSM reads only the accounts assigned to them (PUT /v1/csms/{id}/accounts), and only briefs a CSM may
/// see (delivered or retracted): not by id, list, evidence, customer view or stream. Anna has acme and
/// umbrella, Ben has initech and hooli; each customer is at risk, so the built-in renewal-risk agent
/// delivers a brief for each, a review-first agent adds a pendingReview brief for each, and a shadow agent a
/// shadow brief for each.
/// </summary>
public sealed class CsmScopingTests(CsmScopingTests.Server server) : IClassFixture<CsmScopingTests.Server>
{
    public static readonly string[] AnnaAccounts = ["acme", "umbrella"];
    public static readonly string[] BenAccounts = ["initech", "hooli"];

    /// <summary>Fires on every NPS event and holds its briefs for a reviewer.</summary>
    private const string ReviewFirstAgent = """
        id: review-first
        version: 1.0.0
        kind: renewal-risk
        scenario: renewal-risk-review
        subscribes: [nps]
        reads: [contract.daysToEnd, usage.trend30d, tickets.open, nps.latest]
        purpose: customer-success
        threshold: 0
        cooldownDays: 0
        vetoPolicy: reviewBeforeDelivery
        gate: { minCases: 1, minPrecision: 0, minRecall: 0 }
        """;

    /// <summary>Runs in shadow: a brief for every NPS event, never delivered.</summary>
    private const string ShadowAgent = """
        id: shadow-watch
        version: 1.0.0
        kind: renewal-risk
        scenario: renewal-risk-shadow
        subscribes: [nps]
        reads: [contract.daysToEnd, usage.trend30d, tickets.open, nps.latest]
        purpose: customer-success
        threshold: 0
        cooldownDays: 0
        """;

    private JsonElement Delivered(string customerId) =>
        server.All.First(b => b.GetProperty("customerId").GetString() == customerId && b.GetProperty("agentId").GetString() == "renewal-risk"
            && b.GetProperty("status").GetString() == "delivered");

    private JsonElement Pending(string customerId) =>
        server.All.First(b => b.GetProperty("customerId").GetString() == customerId && b.GetProperty("agentId").GetString() == "review-first");

    private JsonElement Shadow(string customerId) =>
        server.Shadows.First(b => b.GetProperty("customerId").GetString() == customerId && b.GetProperty("agentId").GetString() == "shadow-watch");

    private static string Id(JsonElement brief) => brief.GetProperty("id").GetString()!;

    [Fact]
    public async Task GetBrief_OtherAccount_Is404LikeAMissingOne_OwnAccount_Is200()
    {
        foreach (var other in BenAccounts)
        {
            using var response = await server.Anna.GetAsync($"/v1/briefs/{Id(Delivered(other))}");
            Assert.Equal($"No brief '{Id(Delivered(other))}'.", (await response.ProblemAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
        }
        foreach (var own in AnnaAccounts)
        {
            using var response = await server.Anna.GetAsync($"/v1/briefs/{Id(Delivered(own))}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var ben = await server.Ben.GetAsync($"/v1/briefs/{Id(Delivered("acme"))}");
        Assert.Equal(HttpStatusCode.NotFound, ben.StatusCode);
    }

    /// <summary>
    /// A brief id is derived from the agent version, customer and triggering event id, which a CSM can guess (agents are
    /// readable, event ids often follow a pattern their own evidence shows). Probing another account's computed ids must
    /// answer exactly as for ids no brief has, or the CSM learns which events on that account made a brief.
    /// </summary>
    [Fact]
    public async Task ProbingComputedBriefIds_OfAnotherAccount_AnswersAsForAMissingBrief()
    {
        foreach (var brief in new[] { Delivered("initech"), Pending("hooli") })
        {
            var probed = AgentCrm.Briefs.BriefComposer.BriefId(brief.GetProperty("agentId").GetString()!, brief.GetProperty("agentVersion").GetString()!,
                brief.GetProperty("customerId").GetString()!, brief.GetProperty("triggerEventId").GetString()!);
            var missing = AgentCrm.Briefs.BriefComposer.BriefId(brief.GetProperty("agentId").GetString()!, brief.GetProperty("agentVersion").GetString()!,
                brief.GetProperty("customerId").GetString()!, "no-such-event");
            Assert.Equal(Id(brief), probed);
            foreach (var suffix in new[] { "", "/evidence" })
            {
                using var existing = await server.Anna.GetAsync($"/v1/briefs/{probed}{suffix}");
                using var absent = await server.Anna.GetAsync($"/v1/briefs/{missing}{suffix}");
                Assert.Equal($"No brief '{probed}'.", (await existing.ProblemAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
                Assert.Equal($"No brief '{missing}'.", (await absent.ProblemAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
            }
        }
    }

    [Fact]
    public async Task Evidence_OtherAccount_Is404LikeAMissingOne_OwnAccount_Is200()
    {
        using var other = await server.Anna.GetAsync($"/v1/briefs/{Id(Delivered("initech"))}/evidence");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.DoesNotContain("initech", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var own = await server.Anna.GetAsync($"/v1/briefs/{Id(Delivered("acme"))}/evidence");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task ListBriefs_HoldsOnlyOwnAccountsDeliveredBriefs_AndFilteringForAnotherAccountIs403()
    {
        var items = await ItemsAsync(server.Anna, "/v1/briefs?limit=500");
        Assert.All(items, b => Assert.Contains(b.GetProperty("customerId").GetString(), AnnaAccounts));
        Assert.All(items, b => Assert.Contains(b.GetProperty("status").GetString(), new[] { "delivered", "retracted" }));
        foreach (var own in AnnaAccounts)
            Assert.Contains(Id(Delivered(own)), items.Select(Id));

        // Another account named in the filter: 403 as for GET /v1/customers/{id} (API.md), not an empty page that reads as
        // "no briefs for them"; the detail names nothing the CSM did not send.
        using (var foreign = await server.Anna.GetAsync("/v1/briefs?customerId=initech"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
            var refused = JsonDocument.Parse(await foreign.Content.ReadAsStringAsync()).RootElement;
            Assert.Contains("not one of your accounts", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("not one of your accounts", refused.GetProperty("errors").GetProperty("customerId")[0].GetString(), StringComparison.Ordinal);
        }
        Assert.NotEmpty(await ItemsAsync(server.Anna, $"/v1/briefs?customerId={AnnaAccounts[0]}"));
        Assert.Empty(await ItemsAsync(server.Anna, "/v1/briefs?status=pendingReview"));
        Assert.Empty(await ItemsAsync(server.Anna, "/v1/briefs?agentId=review-first&status=vetoed"));

        // Ops sees every account's briefs, pending ones included (the control).
        var all = await ItemsAsync(server.Ops, "/v1/briefs?limit=500");
        Assert.Contains(all, b => b.GetProperty("customerId").GetString() == "initech");
        Assert.Contains(all, b => b.GetProperty("status").GetString() == "pendingReview");
    }

    [Fact]
    public async Task GetCustomer_OtherAccount_Is403_OwnAccount_ShowsNoPendingBriefs()
    {
        using var other = await server.Anna.GetAsync("/v1/customers/hooli");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        var body = await other.Content.ReadAsStringAsync();
        Assert.Null(AccessHttp.ProblemError(other.StatusCode, other.Content.Headers.ContentType?.MediaType, body));
        // The field at fault named, as the briefs list's customerId filter does (qa27a).
        Assert.Contains("not one of your accounts", JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("customerId")[0].GetString(), StringComparison.Ordinal);

        using var own = await server.Anna.GetAsync("/v1/customers/acme");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var open = JsonDocument.Parse(await own.Content.ReadAsStringAsync()).RootElement.GetProperty("openBriefs").EnumerateArray().ToList();
        Assert.Contains(Id(Delivered("acme")), open.Select(Id));
        Assert.All(open, b => Assert.Equal("delivered", b.GetProperty("status").GetString()));

        // An account assigned to nobody is closed to every CSM.
        using var unassigned = await server.Anna.GetAsync("/v1/customers/nobodys-customer");
        Assert.Equal(HttpStatusCode.Forbidden, unassigned.StatusCode);
    }

    [Fact]
    public void Stream_CarriesOnlyOwnAccountsDeliveredBriefs()
    {
        Assert.True(server.StreamsReady, "Expected each CSM's stream to carry the brief of its last account within 30 s: " + server.StreamLog());
        AssertStream(server.AnnaStream, AnnaAccounts);
        AssertStream(server.BenStream, BenAccounts);
    }

    private static void AssertStream(List<JsonElement> received, string[] accounts)
    {
        List<JsonElement> copy;
        lock (received)
            copy = [.. received];
        Assert.All(copy, b => Assert.Contains(b.GetProperty("customerId").GetString(), accounts));
        Assert.All(copy, b => Assert.Contains(b.GetProperty("status").GetString(), new[] { "delivered", "retracted" }));
        foreach (var own in accounts)
            Assert.Contains(copy, b => b.GetProperty("customerId").GetString() == own && b.GetProperty("agentId").GetString() == "renewal-risk");
    }

    [Fact]
    public async Task ShadowBriefs_OnOwnAccounts_AreNotFoundForTheCsm_AsInTheList_OpsAndReviewersStillSeeThem()
    {
        var shadow = Id(Shadow("acme"));
        foreach (var path in new[] { $"/v1/briefs/{shadow}", $"/v1/briefs/{shadow}/evidence" })
        {
            using var response = await server.Anna.GetAsync(path);
            // The same answer as for a brief that does not exist: not a claim that the account is someone else's.
            Assert.Equal($"No brief '{shadow}'.", (await response.ProblemAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
        }
        Assert.Empty(await ItemsAsync(server.Anna, "/v1/briefs?status=shadow&limit=500"));
        Assert.DoesNotContain(shadow, (await ItemsAsync(server.Anna, "/v1/briefs?limit=500")).Select(Id));
        // Another CSM's account: not found either, shadow or not.
        using (var ben = await server.Ben.GetAsync($"/v1/briefs/{shadow}"))
            Assert.Equal(HttpStatusCode.NotFound, ben.StatusCode);

        foreach (var client in new[] { server.Ops, server.Reviewer })
        {
            using var response = await client.GetAsync($"/v1/briefs/{shadow}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("shadow", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            Assert.Contains(shadow, (await ItemsAsync(client, "/v1/briefs?status=shadow&limit=500")).Select(Id));
        }
    }

    [Fact]
    public async Task PendingAndVetoedBriefs_StayHidden_ApprovedBriefBecomesVisible()
    {
        // Never delivered to a CSM: 404 on their own account, as for shadow briefs.
        var pending = Id(Pending("acme"));
        using (var response = await server.Anna.GetAsync($"/v1/briefs/{pending}"))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using (var response = await server.Anna.GetAsync($"/v1/briefs/{pending}/evidence"))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        using (var veto = await server.Reviewer.PostAsync($"/v1/briefs/{pending}/veto", Json("""{"reason":"already handled by phone"}""")))
            Assert.Equal(HttpStatusCode.OK, veto.StatusCode);
        using (var response = await server.Anna.GetAsync($"/v1/briefs/{pending}"))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(pending, (await ItemsAsync(server.Anna, "/v1/briefs?limit=500")).Select(Id));

        var approved = Id(Pending("umbrella"));
        Assert.DoesNotContain(approved, (await ItemsAsync(server.Anna, "/v1/briefs?limit=500")).Select(Id));
        using (var approve = await server.Reviewer.PostAsync($"/v1/briefs/{approved}/approve", Json("{}")))
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        using (var response = await server.Anna.GetAsync($"/v1/briefs/{approved}"))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(approved, (await ItemsAsync(server.Anna, "/v1/briefs?limit=500")).Select(Id));
        // Still not Ben's: for him it does not exist.
        using (var response = await server.Ben.GetAsync($"/v1/briefs/{approved}"))
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<List<JsonElement>> ItemsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>The server, the CSMs' streams opened before any brief, and every brief stored.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private readonly CancellationTokenSource _streams = new();
        private readonly List<Task> _readers = [];
        private AgentCrmApp _app = null!;

        public HttpClient Anna { get; private set; } = null!;

        public HttpClient Ben { get; private set; } = null!;

        public HttpClient Ops { get; private set; } = null!;

        public HttpClient Reviewer { get; private set; } = null!;

        public List<JsonElement> AnnaStream { get; } = [];

        public List<JsonElement> BenStream { get; } = [];

        public List<JsonElement> All { get; private set; } = [];

        public List<JsonElement> Shadows { get; private set; } = [];

        public bool StreamsReady { get; private set; }

        public async Task InitializeAsync()
        {
            _app = await AgentCrmApp.StartAsync();
            Anna = await _app.ClientAsync(AgentCrm.Access.Roles.Csm, "csm-anna");
            Ben = await _app.ClientAsync(AgentCrm.Access.Roles.Csm, "csm-ben");
            Ops = await _app.ClientAsync(AgentCrm.Access.Roles.Ops);
            Reviewer = await _app.ClientAsync(AgentCrm.Access.Roles.Reviewer);
            await AssignAsync("csm-anna", AnnaAccounts);
            await AssignAsync("csm-ben", BenAccounts);

            var (ndjson, labels) = CaseFiles.Timeline(6, DateTimeOffset.UtcNow.AddDays(-1));
            using (var cases = await _app.Client.PostAsync("/v1/cases/scoping-cases", CaseFiles.Upload(ndjson, labels)))
                Assert.Equal(HttpStatusCode.Created, cases.StatusCode);
            using (var registered = await _app.Client.PostAsync("/v1/agents", new StringContent(ReviewFirstAgent, Encoding.UTF8, "application/yaml")))
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            await _app.EvaluateAndPromoteAsync("review-first", "1.0.0", "scoping-cases");
            using (var registered = await _app.Client.PostAsync("/v1/agents", new StringContent(ShadowAgent, Encoding.UTF8, "application/yaml")))
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            using (var shadowed = await _app.Client.PostAsync("/v1/agents/shadow-watch/versions/1.0.0/shadow", null))
                Assert.Equal(HttpStatusCode.OK, shadowed.StatusCode);

            await OpenStreamAsync(Anna, AnnaStream);
            await OpenStreamAsync(Ben, BenStream);

            // Alternating owners, one at a time: each CSM's last account comes after one of the other CSM's,
            // so when the last brief has arrived the other CSM's brief has passed the stream before it.
            var now = DateTimeOffset.UtcNow;
            foreach (var customer in new[] { "initech", "acme", "hooli", "umbrella" })
            {
                Assert.Equal(HttpStatusCode.Accepted, (await _app.PostEventsAsync(Timelines.AtRisk(customer, now))).StatusCode);
                await _app.WaitForProcessingAsync();
            }
            All = await _app.BriefsAsync();
            Shadows = await _app.BriefsAsync("&status=shadow");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(Has(AnnaStream, "umbrella") && Has(BenStream, "hooli")) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            StreamsReady = Has(AnnaStream, "umbrella") && Has(BenStream, "hooli");
        }

        private static bool Has(List<JsonElement> stream, string customerId)
        {
            lock (stream)
                return stream.Any(b => b.GetProperty("customerId").GetString() == customerId && b.GetProperty("agentId").GetString() == "renewal-risk");
        }

        public string StreamLog()
        {
            static string Describe(List<JsonElement> s)
            {
                lock (s)
                    return string.Join(", ", s.Select(b => $"{b.GetProperty("customerId").GetString()}/{b.GetProperty("agentId").GetString()}/{b.GetProperty("status").GetString()}"));
            }
            return $"anna: [{Describe(AnnaStream)}]; ben: [{Describe(BenStream)}]";
        }

        private async Task AssignAsync(string csm, string[] accounts)
        {
            using var response = await _app.Client.PutAsync($"/v1/csms/{csm}/accounts", new StringContent(JsonSerializer.Serialize(new { accounts }), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        private async Task OpenStreamAsync(HttpClient client, List<JsonElement> sink)
        {
            var response = await client.GetAsync("/v1/briefs/stream", HttpCompletionOption.ResponseHeadersRead, _streams.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            _readers.Add(Task.Run(async () =>
            {
                using (response)
                {
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(_streams.Token);
                        await foreach (var item in SseParser.Create(body).EnumerateAsync(_streams.Token))
                        {
                            var brief = JsonDocument.Parse(item.Data).RootElement.Clone();
                            lock (sink)
                                sink.Add(brief);
                        }
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
                    {
                        // The fixture closes the stream when the tests are done.
                    }
                }
            }));
        }

        public async Task DisposeAsync()
        {
            await _streams.CancelAsync();
            await Task.WhenAll(_readers);
            foreach (var client in new[] { Anna, Ben, Ops, Reviewer })
                client?.Dispose();
            await _app.DisposeAsync();
            _streams.Dispose();
        }
    }
}
