using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.EndToEnd;

namespace AgentCrm.Runtime.Tests.Reviews;

/// <summary>The human veto end to end: queue, veto and approve transitions, what the CSM sees, feedback cases, suspension.</summary>
public sealed class ReviewTests
{
    /// <summary>Feeds an at-risk history and returns the customer's newest brief (the built-in re-briefs as the score rises).</summary>
    private static async Task<JsonElement> NewestBriefAsync(AgentCrmApp app, string customerId, int? expected = null)
    {
        await app.PostEventsAsync(Timelines.AtRisk(customerId, DateTimeOffset.UtcNow));
        await app.WaitForProcessingAsync();
        var briefs = await app.BriefsAsync($"&customerId={customerId}");
        Assert.NotEmpty(briefs);
        if (expected is { } n)
            Assert.Equal(n, briefs.Count);
        return briefs[0];
    }

    /// <summary>Promotes a copy of the built-in that holds its briefs for review.</summary>
    private static async Task PromoteReviewVersionAsync(AgentCrmApp app, string version)
    {
        await Variants.RegisterAsync(app, version, m => m["vetoPolicy"] = "reviewBeforeDelivery");
        await app.EvaluateAndPromoteAsync("renewal-risk", version);
    }

    /// <summary>Promotes a review-before-delivery version and returns the id of the brief it holds for the customer.</summary>
    private static async Task<string> HeldBriefOfReviewVersionAsync(AgentCrmApp app, string version, string customerId)
    {
        await PromoteReviewVersionAsync(app, version);
        return (await NewestBriefAsync(app, customerId, expected: 1)).GetProperty("id").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Variants.Json(json));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Veto_OfDeliveredBrief_RetractsIt_ForTheCsm_OnceOnly_AndBecomesAFeedbackCase()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer", "rita");
        using var csm = await app.ClientAsync("csm", "carla");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}"""))).StatusCode);
        var brief = await NewestBriefAsync(app, "acme");
        var id = brief.GetProperty("id").GetString()!;
        Assert.Equal("delivered", brief.GetProperty("status").GetString());
        Assert.True(brief.GetProperty("reviewUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(71));

        var queue = await GetAsync(reviewer, "/v1/reviews");
        Assert.Contains(queue.GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == id);

        // The reason is required; a refused veto changes nothing.
        var (status, problem) = await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"note":"no reason"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal("delivered", (await GetAsync(csm, $"/v1/briefs/{id}")).GetProperty("status").GetString());

        var (vetoStatus, vetoed) = await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"reason":"Customer renewed last week","correctLabel":false}""");
        Assert.Equal(HttpStatusCode.OK, vetoStatus);
        Assert.Equal("retracted", vetoed.GetProperty("status").GetString());
        Assert.Equal("key:rita", vetoed.GetProperty("review").GetProperty("reviewer").GetString());

        // Idempotent: the same veto again answers the same brief and changes nothing; approving a retracted brief is refused.
        var (againStatus, again) = await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"reason":"twice"}""");
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal("Customer renewed last week", again.GetProperty("review").GetProperty("reason").GetString());
        var (approveStatus, conflict) = await PostAsync(reviewer, $"/v1/briefs/{id}/approve", "{}");
        Assert.Equal(HttpStatusCode.Conflict, approveStatus);
        Assert.Contains("final state", conflict.GetProperty("detail").GetString());

        // The CSM sees it retracted, with the reason; the queue no longer holds it.
        var seen = await GetAsync(csm, $"/v1/briefs/{id}");
        Assert.Equal("retracted", seen.GetProperty("status").GetString());
        Assert.Equal("Customer renewed last week", seen.GetProperty("review").GetProperty("reason").GetString());
        Assert.DoesNotContain((await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == id);

        // The veto is one labeled case (negative) for the agent, and evaluate can replay it.
        var sets = await app.GetJsonAsync("/v1/cases");
        var feedback = sets.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "feedback:renewal-risk");
        Assert.Equal(1, feedback.GetProperty("cases").GetInt32());
        Assert.Equal(0, feedback.GetProperty("positives").GetInt32());
        var version = brief.GetProperty("agentVersion").GetString()!;
        var report = await app.EvaluateAsync("renewal-risk", version, "feedback:renewal-risk");
        Assert.Equal(1, report.GetProperty("cases").GetInt32());
        Assert.Equal("feedback:renewal-risk", report.GetProperty("caseSet").GetString());
        // The agent fired on it live, so replayed on the same inputs it fires again: one false positive.
        Assert.Equal(1, report.GetProperty("confusion").GetProperty("falsePositives").GetInt32());
    }

    [Fact]
    public async Task ReviewBeforeDelivery_HoldsBriefsUntilApproved_AndVetoedOnesNeverReachTheCsm()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await PromoteReviewVersionAsync(app, "1.1.0-review");
        using var reviewer = await app.ClientAsync("reviewer");
        using var csm = await app.ClientAsync("csm", "carl");
        await app.Client.PutAsync("/v1/csms/carl/accounts", Variants.Json("""{"accounts":["initech","umbrella"]}"""));

        var held = await NewestBriefAsync(app, "initech", expected: 1);
        var dropped = await NewestBriefAsync(app, "umbrella", expected: 1);
        Assert.All(new[] { held, dropped }, b => Assert.Equal("pendingReview", b.GetProperty("status").GetString()));
        var heldId = held.GetProperty("id").GetString()!;
        var droppedId = dropped.GetProperty("id").GetString()!;
        Assert.Empty((await GetAsync(csm, "/v1/briefs")).GetProperty("items").EnumerateArray());
        // Not delivered yet: for the CSM it does not exist (404, as in the list), even on their own account.
        Assert.Equal(HttpStatusCode.NotFound, (await csm.GetAsync($"/v1/briefs/{heldId}")).StatusCode);
        var queue = (await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()).ToList();
        Assert.Equal([heldId, droppedId], queue);

        var (approved, body) = await PostAsync(reviewer, $"/v1/briefs/{heldId}/approve", """{"note":"checked with the account team"}""");
        Assert.Equal(HttpStatusCode.OK, approved);
        Assert.Equal("delivered", body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(reviewer, $"/v1/briefs/{heldId}/approve", "{}")).Status);
        // Approved before delivery: there is no veto window afterwards.
        var (lateStatus, late) = await PostAsync(reviewer, $"/v1/briefs/{heldId}/veto", """{"reason":"late"}""");
        Assert.Equal(HttpStatusCode.Conflict, lateStatus);
        Assert.Contains("approved before delivery", late.GetProperty("detail").GetString());

        var (vetoStatus, vetoed) = await PostAsync(reviewer, $"/v1/briefs/{droppedId}/veto", """{"reason":"Duplicate of an open escalation","correctLabel":true}""");
        Assert.Equal(HttpStatusCode.OK, vetoStatus);
        Assert.Equal("vetoed", vetoed.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(reviewer, $"/v1/briefs/{droppedId}/approve", "{}")).Status);

        var visible = (await GetAsync(csm, "/v1/briefs")).GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()).ToList();
        Assert.Equal([heldId], visible);
        Assert.Equal(HttpStatusCode.NotFound, (await csm.GetAsync($"/v1/briefs/{droppedId}")).StatusCode);
        Assert.Empty((await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray());

        // Both verdicts are positive cases: the approval, and the veto that said the customer really is at risk.
        var feedback = (await app.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "feedback:renewal-risk");
        Assert.Equal(2, feedback.GetProperty("cases").GetInt32());
        Assert.Equal(2, feedback.GetProperty("positives").GetInt32());

        var audit = await app.GetJsonAsync($"/v1/audit?subject=brief:{droppedId}");
        Assert.Equal(["brief.vetoed", "brief.created"], audit.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList());
    }

    [Fact]
    public async Task TwoReviewers_RacingOnOneBrief_OneVerdictWins_TheOtherGets409_TheWinnersRetryStill200()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await PromoteReviewVersionAsync(app, "1.1.0-review");
        using var rita = await app.ClientAsync("reviewer", "rita");
        using var bob = await app.ClientAsync("reviewer", "bob");
        var vetoed = (await NewestBriefAsync(app, "initech", expected: 1)).GetProperty("id").GetString()!;
        var approved = (await NewestBriefAsync(app, "umbrella", expected: 1)).GetProperty("id").GetString()!;

        foreach (var (id, path, field) in new[] { (vetoed, "veto", "reason"), (approved, "approve", "note") })
        {
            var answers = await Task.WhenAll(new[] { (Client: rita, Name: "rita"), (Client: bob, Name: "bob") }.Select(async r =>
            {
                var (status, answer) = await PostAsync(r.Client, $"/v1/briefs/{id}/{path}", $$"""{"{{field}}":"from {{r.Name}}"}""");
                return (r.Client, r.Name, Status: status, Answer: answer);
            }));
            var won = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
            var lost = Assert.Single(answers, a => a.Status != HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.Conflict, lost.Status);
            Assert.Contains($"by key:{won.Name}", lost.Answer.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal($"key:{won.Name}", won.Answer.GetProperty("review").GetProperty("reviewer").GetString());

            // One verdict, one audit record, by the winner.
            var records = (await app.GetJsonAsync($"/v1/audit?subject=brief:{id}")).GetProperty("items").EnumerateArray()
                .Where(r => r.GetProperty("action").GetString() != "brief.created").ToList();
            Assert.Equal($"key:{won.Name}", Assert.Single(records).GetProperty("actor").GetString());

            // The winner's retry is answered as before: the same brief, nothing changed.
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(won.Client, $"/v1/briefs/{id}/{path}", $$"""{"{{field}}":"again"}""")).Status);
        }
        using var verify = await app.Client.PostAsync("/v1/audit/verify", null);
        Assert.True(JsonDocument.Parse(await verify.Content.ReadAsStringAsync()).RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task HeldBriefs_OfAVersionRolledBack_AreNotDelivered_AndLeaveTheQueue()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer");
        var held = await HeldBriefOfReviewVersionAsync(app, "1.1.0-review", "initech");

        using var rollback = await app.Client.PostAsync("/v1/agents/renewal-risk/rollback", null);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);

        // The retired version's held brief must not reach the CSM through the queue.
        var (status, problem) = await PostAsync(reviewer, $"/v1/briefs/{held}/approve", "{}");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("rolled back", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray());
        Assert.Equal("pendingReview", (await GetAsync(reviewer, $"/v1/briefs/{held}")).GetProperty("status").GetString());
        // A veto still records it as a wrong call.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(reviewer, $"/v1/briefs/{held}/veto", """{"reason":"stale"}""")).Status);
    }

    [Fact]
    public async Task HeldBriefs_OfAVersionSupersededByAPromotion_StayInTheQueue_AndCanBeApproved()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var reviewer = await app.ClientAsync("reviewer");
        var held = await HeldBriefOfReviewVersionAsync(app, "1.1.0-review", "initech");

        // A routine promotion of the next version retires 1.1.0; its findings still await a reviewer.
        await PromoteReviewVersionAsync(app, "1.2.0-review");

        Assert.Equal([held], (await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(reviewer, $"/v1/briefs/{held}/approve", "{}")).Status);

        // Unregistering the agent takes back every version, superseded ones included.
        var another = (await NewestBriefAsync(app, "umbrella", expected: 1)).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/renewal-risk")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(reviewer, $"/v1/briefs/{another}/approve", "{}")).Status);
        Assert.Empty((await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ABriefDeliveredBeforeReviews_IsRefusedAVetoOrApproval_SayingItHasNoWindow_NotThatItWasApproved()
    {
        var dir = TempDirectory.Create();
        string id;
        await using (var app = await AgentCrmApp.StartAsync(dir))
            id = (await NewestBriefAsync(app, "acme")).GetProperty("id").GetString()!;
        // As the first builds (2026-11-22, before reviews) stored a delivered brief: no veto window, no review.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE briefs SET body = json_remove(body, '$.reviewUntil', '$.review') WHERE id = $id; DELETE FROM brief_reviews WHERE brief_id = $id;";
            cmd.Parameters.AddWithValue("$id", id);
            Assert.Equal(2, cmd.ExecuteNonQuery());
        }

        await using var again = await AgentCrmApp.StartAsync(dir);
        using var reviewer = await again.ClientAsync("reviewer");
        var (status, problem) = await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"reason":"late"}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("no veto window", detail);
        Assert.DoesNotContain("approved", detail);
        var (approveStatus, approveProblem) = await PostAsync(reviewer, $"/v1/briefs/{id}/approve", "{}");
        Assert.Equal(HttpStatusCode.Conflict, approveStatus);
        Assert.Contains("has no review window", approveProblem.GetProperty("detail").GetString()!);
        Assert.Equal("delivered", (await GetAsync(reviewer, $"/v1/briefs/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ADatabaseFromBeforeWithdrawnVersions_IsBackfilled_ForUnregisteredAgents()
    {
        var dir = TempDirectory.Create();
        string held;
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            held = await HeldBriefOfReviewVersionAsync(app, "1.1.0-review", "initech");
            Assert.Equal(HttpStatusCode.OK, (await app.Client.DeleteAsync("/v1/agents/renewal-risk")).StatusCode);
        }
        // As the database was before the table existed.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "DELETE FROM withdrawn_versions; DELETE FROM meta WHERE key = 'withdrawn_versions.backfilled';";
            cmd.ExecuteNonQuery();
        }

        await using var again = await AgentCrmApp.StartAsync(dir);
        using var reviewer = await again.ClientAsync("reviewer");
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(reviewer, $"/v1/briefs/{held}/approve", "{}")).Status);
        Assert.Empty((await GetAsync(reviewer, "/v1/reviews")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task AVersionVetoedTooOften_IsSuspended_AndThePreviousVersionTakesOver()
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Reviews:MinBriefs"] = "3",
            ["Reviews:Window"] = "4",
            ["Reviews:MaxVetoRate"] = "0.5",
        });
        await Variants.RegisterAsync(app, "1.1.0");
        await app.EvaluateAndPromoteAsync("renewal-risk", "1.1.0");
        using var reviewer = await app.ClientAsync("reviewer");
        var ids = new List<string>();
        foreach (var customer in new[] { "a1", "a2", "a3", "a4" })
        {
            var b = await NewestBriefAsync(app, customer, expected: 1);
            Assert.Equal("1.1.0", b.GetProperty("agentVersion").GetString());
            ids.Add(b.GetProperty("id").GetString()!);
        }
        // Two vetoes of four briefs is a rate of 0.5, not above the limit: still active.
        foreach (var id in ids.Take(2))
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(reviewer, $"/v1/briefs/{id}/veto", """{"reason":"wrong"}""")).Status);
        Assert.Equal("1.1.0", (await app.GetJsonAsync("/v1/agents/renewal-risk")).GetProperty("activeVersion").GetString());

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(reviewer, $"/v1/briefs/{ids[2]}/veto", """{"reason":"wrong again"}""")).Status);
        var agent = await app.GetJsonAsync("/v1/agents/renewal-risk");
        var states = agent.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("state").GetString());
        Assert.Equal("suspended", states["1.1.0"]);
        Assert.Equal("active", states["1.0.1"]);

        var health = await app.GetJsonAsync("/v1/agents/renewal-risk/health");
        var suspended = health.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.1.0");
        Assert.Equal("suspended", suspended.GetProperty("state").GetString());
        Assert.Equal(0.75, suspended.GetProperty("vetoRate").GetDouble());
        var log = await app.GetJsonAsync("/v1/audit?subject=agent:renewal-risk@1.1.0&action=agent.suspended");
        var record = Assert.Single(log.GetProperty("items").EnumerateArray());
        Assert.Equal("system:auto-suspension", record.GetProperty("actor").GetString());
        Assert.Contains("veto rate", record.GetProperty("data").GetProperty("reason").GetString());

        var next = await NewestBriefAsync(app, "a5");
        Assert.Equal("1.0.1", next.GetProperty("agentVersion").GetString());
    }
}
