using System.Net;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A CSM's side of a brief over real HTTP: acknowledging it (their "not yet acknowledged" list is their inbox) and saying
/// whether it was useful, each CSM for themselves; what the agent's health counts; what is refused and how.
/// </summary>
public sealed class BriefResponseTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        var (status, body, _) = await SendWithTypeAsync(client, method, path, json);
        return (status, body);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, string? MediaType)> SendWithTypeAsync(HttpClient client, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Variants.Json(json) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string query)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Get, "/v1/briefs" + query);
        Assert.True(status == HttpStatusCode.OK, $"GET /v1/briefs{query}: {(int)status} {body}");
        return body.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
    }

    private static async Task<int> AuditCountAsync(AgentCrmApp app, string action, string briefId)
    {
        var page = await app.GetJsonAsync($"/v1/audit?action={action}&subject=brief:{briefId}");
        return page.GetProperty("items").GetArrayLength();
    }

    [Fact]
    public async Task Acknowledge_IsTheCallersOwn_KeepsTheFirstTime_AndDrivesTheUnacknowledgedList()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var dan = await app.ClientAsync("csm", "dan");
        foreach (var csm in new[] { "carla", "dan" })
            using (var assigned = await app.Client.PutAsync($"/v1/csms/{csm}/accounts", Variants.Json("""{"accounts":["acme","initech"]}""")))
                Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var read = await app.AtRiskBriefAsync("acme", "delivered");
        var unread = await app.AtRiskBriefAsync("initech", "delivered");

        var (status, first) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{read}/acknowledge");
        Assert.True(status == HttpStatusCode.OK, first.ToString());
        var at = first.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset();
        Assert.Equal(JsonValueKind.Null, first.GetProperty("myResponse").GetProperty("useful").ValueKind);
        await Task.Delay(20);
        var (_, again) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{read}/acknowledge");
        Assert.Equal(at, again.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset());

        // Carla's inbox: what she has not acknowledged (the timeline briefs each account more than once); Dan's responses are his own.
        var all = await ListAsync(carla, "");
        Assert.Contains(unread, all);
        Assert.Equal(all.Where(b => b != read), await ListAsync(carla, "?acknowledged=false"));
        Assert.Equal([read], await ListAsync(carla, "?acknowledged=true"));
        Assert.Equal(all, await ListAsync(dan, "?acknowledged=false"));
        Assert.Empty(await ListAsync(dan, "?acknowledged=true"));
        var (_, byId) = await SendAsync(carla, HttpMethod.Get, $"/v1/briefs/{read}");
        Assert.Equal(at, byId.GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset());
        var (_, danSees) = await SendAsync(dan, HttpMethod.Get, $"/v1/briefs/{read}");
        Assert.False(danSees.TryGetProperty("myResponse", out _), danSees.ToString());
        var (_, listed) = await SendAsync(carla, HttpMethod.Get, "/v1/briefs?customerId=acme");
        Assert.Equal(at, listed.GetProperty("items").EnumerateArray().Single(b => b.GetProperty("id").GetString() == read).GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset());
        var (_, customer) = await SendAsync(carla, HttpMethod.Get, "/v1/customers/acme");
        Assert.Equal(at, customer.GetProperty("openBriefs").EnumerateArray().Single(b => b.GetProperty("id").GetString() == read).GetProperty("myResponse").GetProperty("acknowledgedAt").GetDateTimeOffset());

        // One audit record, by Carla, for the first acknowledgement only.
        Assert.Equal(1, await AuditCountAsync(app, "brief.acknowledged", read));
        var record = (await app.GetJsonAsync($"/v1/audit?action=brief.acknowledged&subject=brief:{read}")).GetProperty("items")[0];
        Assert.Equal("key:carla", record.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Feedback_ReplacesTheCallersEarlierFeedback_AndTheVersionsHealthCountsIt()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var dan = await app.ClientAsync("csm", "dan");
        foreach (var csm in new[] { "carla", "dan" })
            using (var assigned = await app.Client.PutAsync($"/v1/csms/{csm}/accounts", Variants.Json("""{"accounts":["acme"]}""")))
                Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var id = await app.AtRiskBriefAsync("acme", "delivered");

        var (status, body) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":false,"note":"We knew; renewal call already booked"}""");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var mine = body.GetProperty("myResponse");
        Assert.Equal((false, "We knew; renewal call already booked"), (mine.GetProperty("useful").GetBoolean(), mine.GetProperty("note").GetString()));
        // Feedback acknowledges too: the brief leaves Carla's inbox.
        Assert.DoesNotContain(id, await ListAsync(carla, "?acknowledged=false"));
        Assert.Equal([id], await ListAsync(carla, "?acknowledged=true"));
        Assert.Equal((0L, 1L, 1L), await HealthAsync());

        // The same feedback again changes nothing; other feedback replaces hers; Dan's is his own.
        await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":false,"note":"We knew; renewal call already booked"}""");
        Assert.Equal(1, await AuditCountAsync(app, "brief.feedback", id));
        var (_, changed) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":true}""");
        Assert.Equal((true, JsonValueKind.Null), (changed.GetProperty("myResponse").GetProperty("useful").GetBoolean(), changed.GetProperty("myResponse").GetProperty("note").ValueKind));
        Assert.Equal((1L, 0L, 1L), await HealthAsync());
        await SendAsync(dan, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":true}""");
        Assert.Equal((2L, 0L, 1L), await HealthAsync());
        Assert.Equal(3, await AuditCountAsync(app, "brief.feedback", id));
        // The audit log is permanent and reviewers read it: it says a note was given, not what it said (it may quote the customer).
        var feedbackRecords = (await app.GetJsonAsync($"/v1/audit?action=brief.feedback&subject=brief:{id}")).GetProperty("items");
        Assert.DoesNotContain("renewal call already booked", feedbackRecords.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(feedbackRecords.EnumerateArray(), r => r.GetProperty("data").GetProperty("withNote").GetBoolean());
        Assert.Equal(2, await AuditCountAsync(app, "brief.acknowledged", id));
        var health = await app.GetJsonAsync("/v1/agents/renewal-risk/health");
        Assert.Equal(1.0, health.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.1").GetProperty("usefulRate").GetDouble());

        // The metric counts each response as it was given: two acknowledgements, one "not useful", then two "useful".
        using var ops = await app.ClientAsync("ops");
        var expected = (Acknowledged: 2.0, Useful: 2.0, NotUseful: 1.0);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (;;)
        {
            var metrics = Observability.Prometheus.Parse(await ops.GetStringAsync("/metrics"));
            double Count(string kind) => metrics.Sum("agentcrm_briefs_responses_total", ("kind", kind));
            var seen = (Count("acknowledged"), Count("useful"), Count("notUseful"));
            if (seen == expected)
                break;
            Assert.True(DateTime.UtcNow < deadline, $"expected agentcrm_briefs_responses_total {expected} within 30 s, saw {seen}");
            await Task.Delay(100);
        }

        async Task<(long Useful, long NotUseful, long Briefs)> HealthAsync()
        {
            var h = await app.GetJsonAsync("/v1/agents/renewal-risk/health");
            var r = h.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.1").GetProperty("csmResponses");
            return (r.GetProperty("useful").GetInt64(), r.GetProperty("notUseful").GetInt64(), r.GetProperty("acknowledgedBriefs").GetInt64());
        }
    }

    [Fact]
    public async Task Responses_BadInputOrABriefTheCallerCannotRespondTo_AreRefusedAndRecordNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var ops = await app.ClientAsync("ops");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var own = await app.AtRiskBriefAsync("acme", "delivered");
        var others = await app.AtRiskBriefAsync("globex", "delivered");

        var cases = new (HttpClient Client, string Path, string? Json, HttpStatusCode Status, string? Field)[]
        {
            (carla, $"/v1/briefs/{own}/feedback", """{"note":"no verdict"}""", HttpStatusCode.BadRequest, "useful"),
            (carla, $"/v1/briefs/{own}/feedback", """{"useful":"yes"}""", HttpStatusCode.BadRequest, "useful"),
            (carla, $"/v1/briefs/{own}/feedback", $$"""{"useful":true,"note":"{{new string('x', 2001)}}"}""", HttpStatusCode.BadRequest, "note"),
            (carla, $"/v1/briefs/{own}/feedback", """{"useful":true,"score":5}""", HttpStatusCode.BadRequest, "score"),
            (carla, $"/v1/briefs/{others}/acknowledge", null, HttpStatusCode.NotFound, null),
            (carla, $"/v1/briefs/{others}/feedback", """{"useful":true}""", HttpStatusCode.NotFound, null),
            (carla, "/v1/briefs/no-such-brief/acknowledge", null, HttpStatusCode.NotFound, null),
            (ops, $"/v1/briefs/{own}/acknowledge", null, HttpStatusCode.Forbidden, null),
        };
        foreach (var (client, path, json, expected, field) in cases)
        {
            var (status, body, mediaType) = await SendWithTypeAsync(client, HttpMethod.Post, path, json);
            Assert.True(status == expected, $"POST {path} {json}: {(int)status} {body}");
            Assert.Equal("application/problem+json", mediaType);
            if (field is not null)
                Assert.True(body.GetProperty("errors").TryGetProperty(field, out _), $"POST {path} {json}: expected an error naming {field}: {body}");
        }
        var (badFilter, problem) = await SendAsync(carla, HttpMethod.Get, "/v1/briefs?acknowledged=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, badFilter);
        Assert.True(problem.GetProperty("errors").TryGetProperty("acknowledged", out _), problem.ToString());
        Assert.Equal(0, await AuditCountAsync(app, "brief.acknowledged", own) + await AuditCountAsync(app, "brief.feedback", own)
            + await AuditCountAsync(app, "brief.acknowledged", others));

        // A brief CSMs never get (held for review) cannot take a response, even from an admin who can read it.
        await Variants.RegisterAsync(app, "2.0.0", m => m["vetoPolicy"] = "reviewBeforeDelivery");
        await app.EvaluateAndPromoteAsync("renewal-risk", "2.0.0");
        var held = await app.AtRiskBriefAsync("hooli", "pendingReview");
        var (heldStatus, heldBody) = await SendAsync(app.Client, HttpMethod.Post, $"/v1/briefs/{held}/acknowledge");
        Assert.True(heldStatus == HttpStatusCode.Conflict, heldBody.ToString());
        Assert.Contains("pendingReview", heldBody.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResponse_IsTheCsms_NotAnotherRolesCredentialOfTheSameName()
    {
        // A name is one CSM across their credentials, but an ops or admin credential that bears a CSM's name (a JWT subject,
        // or the name re-issued with another role after the CSM's key was revoked) is not that CSM: it neither sees nor
        // changes her response.
        await using var app = await AgentCrmApp.StartAsync();
        var keys = app.Services.GetRequiredService<AgentCrm.Access.ApiKeyStore>();
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var id = await app.AtRiskBriefAsync("acme", "delivered");
        using (var carla = await app.ClientAsync("csm", "carla"))
        {
            var (status, body) = await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":false,"note":"private to carla"}""");
            Assert.True(status == HttpStatusCode.OK, body.ToString());
        }
        await keys.RevokeAsync("carla", "test");
        using (var ops = await app.ClientAsync("ops", "carla"))
        {
            var (_, seen) = await SendAsync(ops, HttpMethod.Get, $"/v1/briefs/{id}");
            Assert.False(seen.TryGetProperty("myResponse", out _), seen.ToString());
            Assert.Empty(await ListAsync(ops, "?acknowledged=true"));
        }
        await keys.RevokeAsync("carla", "test");
        using (var admin = await app.ClientAsync("admin", "carla"))
        {
            var (_, acknowledged) = await SendAsync(admin, HttpMethod.Post, $"/v1/briefs/{id}/feedback", """{"useful":true}""");
            Assert.True(acknowledged.GetProperty("myResponse").GetProperty("useful").GetBoolean(), acknowledged.ToString());
        }
        await keys.RevokeAsync("carla", "test");
        using (var carla = await app.ClientAsync("csm", "carla"))
        {
            var (_, mine) = await SendAsync(carla, HttpMethod.Get, $"/v1/briefs/{id}");
            Assert.Equal((false, "private to carla"), (mine.GetProperty("myResponse").GetProperty("useful").GetBoolean(), mine.GetProperty("myResponse").GetProperty("note").GetString()));
        }
        // The version's health counts CSMs' feedback: the admin's is theirs to see, not a CSM's verdict on the brief.
        var health = await app.GetJsonAsync("/v1/agents/renewal-risk/health");
        var version = health.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == "1.0.1");
        var counts = version.GetProperty("csmResponses");
        Assert.Equal((1L, 0L, 1L), (counts.GetProperty("acknowledgedBriefs").GetInt64(), counts.GetProperty("useful").GetInt64(), counts.GetProperty("notUseful").GetInt64()));
        Assert.Equal(0.0, version.GetProperty("usefulRate").GetDouble());
    }

    [Fact]
    public async Task AcknowledgedList_OnADirectoryFromBeforeBriefSeq_ListsEveryResponse_AndThoseAnOlderBuildWritesAfter()
    {
        // The acknowledged list walks the reader's responses by their copy of the brief's seq (brief_seq, 2026-12-05): the
        // rows of a directory from before it are filled at the first start, and those an older build writes afterwards
        // (leaving the column out, as it knows none) by the trigger the file holds.
        var data = TempDirectory.Create();
        string key;
        var ids = new List<string>();
        HttpClient Carla(AgentCrmApp app)
        {
            var client = new HttpClient { BaseAddress = app.Address };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            return client;
        }
        async Task<List<string>> AcknowledgedAsync(AgentCrmApp app)
        {
            // Page by page (one brief each), through the cursors: the same briefs, newest first, as one page.
            using var carla = Carla(app);
            var all = await ListAsync(carla, "?acknowledged=true");
            var paged = new List<string>();
            for (var cursor = ""; ;)
            {
                var (_, page) = await SendAsync(carla, HttpMethod.Get, "/v1/briefs?acknowledged=true&limit=1" + cursor);
                paged.AddRange(page.GetProperty("items").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
                if (page.GetProperty("nextCursor").ValueKind != JsonValueKind.String)
                    break;
                cursor = "&cursor=" + page.GetProperty("nextCursor").GetString();
            }
            Assert.Equal(all, paged);
            return all;
        }
        void Sql(string sql, string? briefId = null)
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "agentcrm.db")};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            if (briefId is not null)
                command.Parameters.AddWithValue("$id", briefId);
            command.ExecuteNonQuery();
        }
        long Scalar(AgentCrmApp app, string sql)
        {
            using var connection = app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>().Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return (long)command.ExecuteScalar()!;
        }
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            key = await app.CreateKeyAsync("csm", "carla");
            using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["acme","initech","globex","hooli"]}""")))
                Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
            foreach (var customer in new[] { "acme", "initech", "globex", "hooli" })
                ids.Add(await app.AtRiskBriefAsync(customer, "delivered"));
            using var carla = Carla(app);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{ids[0]}/acknowledge")).Status);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{ids[2]}/feedback", """{"useful":true}""")).Status);
            Assert.Equal([ids[2], ids[0]], await AcknowledgedAsync(app));
        }
        // As the builds before the column left the directory: no brief_seq, its index and trigger, nor the fill's marker; the
        // index by brief id those builds made.
        Sql("""
            DROP TRIGGER brief_responses_seq; DROP INDEX brief_responses_reader; ALTER TABLE brief_responses DROP COLUMN brief_seq;
            DELETE FROM meta WHERE key = 'brief_responses.seq_filled'; CREATE INDEX brief_responses_responder ON brief_responses(responder, brief_id);
            """);
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            Assert.Equal([ids[2], ids[0]], await AcknowledgedAsync(app));
            Assert.Equal(0, Scalar(app, "SELECT count(*) FROM brief_responses WHERE brief_seq IS NULL"));
            Assert.Equal(0, Scalar(app, "SELECT count(*) FROM sqlite_master WHERE name = 'brief_responses_responder'"));
            using var carla = Carla(app);
            var unacknowledged = await ListAsync(carla, "?acknowledged=false");
            Assert.Contains(ids[1], unacknowledged);
            Assert.DoesNotContain(ids[0], unacknowledged);
            Assert.DoesNotContain(ids[2], unacknowledged);
        }
        // An older build, started on the directory since, acknowledges a brief with the statement it has (no brief_seq); the
        // fill's marker is set, so the start after it fills nothing: the trigger has.
        Sql("""
            INSERT INTO brief_responses (brief_id, responder, agent_id, agent_version, acknowledged_at)
            SELECT id, 'carla', agent_id, agent_version, '2026-12-05T00:00:00.0000000+00:00' FROM briefs WHERE id = $id
            """, ids[1]);
        await using (var app = await AgentCrmApp.StartAsync(data))
        {
            Assert.Equal([ids[2], ids[1], ids[0]], await AcknowledgedAsync(app));
            // And this build's own responses carry it as written.
            using var carla = Carla(app);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(carla, HttpMethod.Post, $"/v1/briefs/{ids[3]}/acknowledge")).Status);
            Assert.Equal([ids[3], ids[2], ids[1], ids[0]], await AcknowledgedAsync(app));
            Assert.Equal(0, Scalar(app, "SELECT count(*) FROM brief_responses WHERE brief_seq IS NULL"));
        }
    }

    [Fact]
    public async Task Me_SaysWhoTheCredentialIs_AndACsmsAccounts()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var carla = await app.ClientAsync("csm", "carla");
        using var rita = await app.ClientAsync("reviewer", "rita");
        using (var assigned = await app.Client.PutAsync("/v1/csms/carla/accounts", Variants.Json("""{"accounts":["initech","acme"]}""")))
            Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);

        var (_, csm) = await SendAsync(carla, HttpMethod.Get, "/v1/me");
        Assert.Equal(("carla", "csm", "key"), (csm.GetProperty("name").GetString(), csm.GetProperty("role").GetString(), csm.GetProperty("credential").GetString()));
        Assert.Equal(["acme", "initech"], csm.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()!));
        var (_, reviewer) = await SendAsync(rita, HttpMethod.Get, "/v1/me");
        Assert.Equal(("rita", "reviewer", JsonValueKind.Null), (reviewer.GetProperty("name").GetString(), reviewer.GetProperty("role").GetString(), reviewer.GetProperty("accounts").ValueKind));
        using var anonymous = await app.ClientAsync(null);
        using var refused = await anonymous.GetAsync("/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
