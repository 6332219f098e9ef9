using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Intake;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

public sealed class IntakeTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task PostEvents_SingleArrayAndNdjson_AreAcceptedAndProcessed()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var single = Ev.Make("c-1", "usage", Now.AddDays(-1), new { quantity = 5 });
        var r1 = await app.Client.PostAsync("/v1/events", new StringContent(single.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, r1.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await r1.Content.ReadAsStringAsync()).RootElement.GetProperty("accepted").GetInt32());

        var r2 = await app.PostEventsAsync([Ev.Make("c-1", "login", Now.AddHours(-3)), Ev.Make("c-2", "nps", Now.AddHours(-2), new { score = 9 })]);
        Assert.Equal(HttpStatusCode.Accepted, r2.StatusCode);

        var ndjson = string.Join("\n", Ev.Make("c-2", "usage", Now.AddHours(-1)).ToJsonString(), "", Ev.Make("c-3", "web_visit", Now.AddMinutes(-5), new { url = "https://x.example/pricing" }).ToJsonString()) + "\n";
        var r3 = await app.Client.PostAsync("/v1/events", new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, r3.StatusCode);
        Assert.Equal("{\"accepted\":2,\"duplicates\":0}", await r3.Content.ReadAsStringAsync());

        await app.WaitForProcessingAsync();
        Assert.Equal(2, await app.CustomerFieldAsync("c-1", "events.total"));
        Assert.Equal(2, await app.CustomerFieldAsync("c-2", "events.total"));
        Assert.Equal(1, await app.CustomerFieldAsync("c-3", "events.total"));
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> BadBodies() => new()
    {
        { "malformed JSON", "application/json", "[{\"id\": \"a\", ", HttpStatusCode.BadRequest, "$" },
        { "missing id", "application/json", $"[{Valid("ok-1")}, {{\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}}]", HttpStatusCode.BadRequest, "$[1].id" },
        { "unknown type", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"telepathy\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.type" },
        { "bad date", "application/json", $"[{Valid("ok-2")}, {{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"yesterday\"}}]", HttpStatusCode.BadRequest, "$[1].occurredAt" },
        { "date without zone", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00\"}", HttpStatusCode.BadRequest, "$.occurredAt" },
        { "future date", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2999-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.occurredAt" },
        { "wrong type of field", "application/json", "{\"id\":7,\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.id" },
        { "attributes not an object", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"attributes\":[1]}", HttpStatusCode.BadRequest, "$.attributes" },
        { "unknown field", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occuredAt\":\"2026-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.occuredAt" },
        { "customer id with slash", "application/json", "{\"id\":\"x\",\"customerId\":\"a/b\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.customerId" },
        { "customer id a dot segment", "application/json", "{\"id\":\"x\",\"customerId\":\"..\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\"}", HttpStatusCode.BadRequest, "$.customerId" },
        { "empty body", "application/json", "", HttpStatusCode.BadRequest, "$" },
        { "empty array", "application/json", "[]", HttpStatusCode.BadRequest, "$" },
        { "not an object", "application/json", "[42]", HttpStatusCode.BadRequest, "$[0]" },
        { "malformed NDJSON line", "application/x-ndjson", Valid("ok-3") + "\n{oops\n", HttpStatusCode.BadRequest, "$[1]" },
        { "too deeply nested", "application/json", "{\"id\":\"x\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"attributes\":" + new string('[', 100) + new string(']', 100) + "}", HttpStatusCode.BadRequest, "$" },
        { "oversized batch", "application/json", "[" + string.Join(",", Enumerable.Range(0, 6).Select(i => Valid($"big-{i}"))) + "]", HttpStatusCode.RequestEntityTooLarge, "$" },
        { "oversized NDJSON batch", "application/x-ndjson", string.Join("\n", Enumerable.Range(0, 6).Select(i => Valid($"bign-{i}"))), HttpStatusCode.RequestEntityTooLarge, "$" },
        { "oversized body", "application/json", "[" + Valid("huge", new string('x', 5000)) + "]", HttpStatusCode.RequestEntityTooLarge, "$" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task PostEvents_BadInput_IsRejectedWithProblemDetailsAndStoresNothing(string name, string contentType, string body, HttpStatusCode expected, string field)
    {
        await using var app = await AgentCrmApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Intake:MaxEventsPerRequest"] = "5",
            ["Intake:MaxBodyBytes"] = "4096",
        });
        var response = await app.Client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, contentType));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{name}: expected {expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{name}: expected an error for '{field}' in {text}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.Equal(0, app.Services.GetRequiredService<EventStore>().Count());
    }

    [Fact]
    public async Task PostEvents_DuplicateIds_AreAcknowledgedButProcessedOnce()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var e = Ev.Make("dup-1", "usage", Now.AddDays(-1), new { quantity = 3 }, id: "same-id");
        var first = await app.PostEventsAsync([e, e]);
        Assert.Equal("{\"accepted\":1,\"duplicates\":1}", await first.Content.ReadAsStringAsync());
        var again = await app.PostEventsAsync([e]);
        Assert.Equal("{\"accepted\":0,\"duplicates\":1}", await again.Content.ReadAsStringAsync());
        await app.WaitForProcessingAsync();
        Assert.Equal(1, await app.CustomerFieldAsync("dup-1", "events.total"));
        Assert.Equal(3, await app.CustomerFieldAsync("dup-1", "usage.last30d"));

        // Ignored duplicates may leave gaps in the inbox sequence; later events still flow.
        await app.PostEventsAsync([Ev.Make("dup-1", "usage", Now.AddHours(-1), new { quantity = 4 })]);
        await app.WaitForProcessingAsync();
        Assert.Equal(2, await app.CustomerFieldAsync("dup-1", "events.total"));
    }

    [Fact]
    public async Task PostEvents_KnownIdWithOtherContent_Is409NamingTheEvent_AndNothingInTheRequestIsStored()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = new DateTimeOffset(2026, 11, 30, 9, 30, 0, TimeSpan.Zero);
        var stored = Ev.Make("reuse-1", "usage", at, new { quantity = 3, feature = "reports" }, id: "usage-42");
        await app.PostEventsAsync([stored]);

        // The same event, formatted otherwise (attribute order, the instant in another offset), is a plain duplicate.
        var same = """{"id":"usage-42","customerId":"reuse-1","type":"usage","occurredAt":"2026-11-30T10:30:00+01:00","source":"test","attributes":{"feature":"reports","quantity":3}}""";
        using (var duplicate = await app.Client.PostAsync("/v1/events", new StringContent(same, Encoding.UTF8, "application/json")))
            Assert.Equal("{\"accepted\":0,\"duplicates\":1}", await duplicate.Content.ReadAsStringAsync());

        // A corrected quantity under the old id, beside a new event: refused as a whole, the changed event named.
        var fresh = Ev.Make("reuse-1", "login", at.AddHours(1), id: "login-7");
        var changed = Ev.Make("reuse-1", "usage", at, new { quantity = 30, feature = "reports" }, id: "usage-42");
        using var response = await app.PostEventsAsync([fresh, changed]);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var error = problem.GetProperty("errors").GetProperty("$[1].id")[0].GetString()!;
        Assert.Equal("An event with this id was accepted before (or comes earlier in this request), but its attributes differ: "
            + "the id is the event's idempotency key, so a changed event needs a new id.", error);
        Assert.Single(problem.GetProperty("errors").EnumerateObject());
        Assert.Equal(1, app.Services.GetRequiredService<EventStore>().Count());
        // Several fields changed: named together, in a sentence.
        using (var two = await app.PostEventsAsync([Ev.Make("reuse-1", "login", at, new { quantity = 30, feature = "reports" }, id: "usage-42")]))
            Assert.Contains("but its type and attributes differ:", await two.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.WaitForProcessingAsync();
        Assert.Equal(3, await app.CustomerFieldAsync("reuse-1", "usage.last30d"));
    }

    [Fact]
    public async Task PostEvents_Ndjson409_SaysTheLine_AsA400Does()
    {
        await using var app = await AgentCrmApp.StartAsync();
        const string a = """{"id":"nd-1","customerId":"nd","type":"nps","occurredAt":"2026-11-01T00:00:00Z","attributes":{"score":5}}""";
        const string b = """{"id":"nd-1","customerId":"nd","type":"nps","occurredAt":"2026-11-01T00:00:00Z","attributes":{"score":6}}""";
        // $[1] counts events, not lines: blank lines are skipped, so only the line finds the event in a large file.
        using var response = await app.Client.PostAsync("/v1/events", new StringContent(a + "\n\n" + b + "\n", Encoding.UTF8, "application/x-ndjson"));
        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        var error = problem.GetProperty("errors").GetProperty("$[1].id")[0].GetString()!;
        Assert.StartsWith("line 3: An event with this id was accepted before", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_SameEventWrittenOtherwise_IsADuplicate_AndAChangeWithinOneRequestIsRefused()
    {
        await using var app = await AgentCrmApp.StartAsync();
        async Task<HttpResponseMessage> PostAsync(string body) => await app.Client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
        using (var first = await PostAsync("""[{"id":"n-1","customerId":"same-1","type":"usage","occurredAt":"2026-11-30T09:30:00Z","attributes":{"quantity":3}},{"id":"n-2","customerId":"same-1","type":"login","occurredAt":"2026-11-30T09:31:00Z"}]"""))
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        // 3.0 for 3, source null for absent, attributes {} or null for absent: the same events.
        using (var again = await PostAsync("""[{"id":"n-1","customerId":"same-1","type":"usage","occurredAt":"2026-11-30T09:30:00.000Z","source":null,"attributes":{"quantity":3.0}},{"id":"n-2","customerId":"same-1","type":"login","occurredAt":"2026-11-30T09:31:00Z","attributes":{}},{"id":"n-2","customerId":"same-1","type":"login","occurredAt":"2026-11-30T09:31:00Z","attributes":null}]"""))
            Assert.Equal("{\"accepted\":0,\"duplicates\":3}", await again.Content.ReadAsStringAsync());

        // The same new id twice in one request with other content: refused, naming the second.
        using var twice = await PostAsync("""[{"id":"n-3","customerId":"same-1","type":"nps","occurredAt":"2026-11-30T10:00:00Z","attributes":{"score":9}},{"id":"n-3","customerId":"same-1","type":"nps","occurredAt":"2026-11-30T10:00:00Z","attributes":{"score":2}}]""");
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Contains("earlier in this request", JsonDocument.Parse(await twice.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetProperty("$[1].id")[0].GetString(), StringComparison.Ordinal);

        // A refused request took no delivery number: the customer's next event is numbered right after the first two.
        using (var next = await PostAsync("""{"id":"n-4","customerId":"same-1","type":"login","occurredAt":"2026-11-30T11:00:00Z"}"""))
            Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var read = db.CreateCommand();
        read.CommandText = "SELECT n.number FROM event_numbers_v2 n JOIN events e ON e.seq = n.seq WHERE e.customer_id = 'same-1' ORDER BY n.number";
        using var rows = read.ExecuteReader();
        var numbers = new List<long>();
        while (rows.Read())
            numbers.Add(rows.GetInt64(0));
        Assert.Equal([1L, 2L, 3L], numbers);
    }

    [Fact]
    public async Task Restart_ProcessedEventsAreNotDeliveredAgain_AndStateSurvives()
    {
        var dir = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(dir))
        {
            await first.PostEventsAsync(Enumerable.Range(0, 50).Select(i => Ev.Make($"r-{i % 5}", "usage", Now.AddMinutes(-i), new { quantity = 1 })));
            await first.WaitForProcessingAsync();
        }
        await using var second = await AgentCrmApp.StartAsync(dir);
        var ready = await second.GetJsonAsync("/readyz");
        Assert.Equal(second.Services.GetRequiredService<EventStore>().MaxSeq(), ready.GetProperty("dispatchWatermark").GetInt64());
        for (var i = 0; i < 5; i++)
            Assert.Equal(10, await second.CustomerFieldAsync($"r-{i}", "events.total"));
        await second.WaitForProcessingAsync();
        var metrics = second.Services.GetRequiredService<AgentCrm.Customers.RuntimeMetrics>();
        Assert.Equal(0, metrics.EventsApplied + metrics.DuplicateDeliveries);
    }

    private static string Valid(string id, string note = "") =>
        $"{{\"id\":\"{id}\",\"customerId\":\"c\",\"type\":\"usage\",\"occurredAt\":\"2026-01-01T00:00:00Z\",\"attributes\":{{\"note\":\"{note}\"}}}}";
}
