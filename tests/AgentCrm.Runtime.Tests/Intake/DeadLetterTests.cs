using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.Reviews;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// The real SQLite actor state store with a fault switch per customer: the next N saves of that customer's state fail
/// inside the real transaction, after the turn's enlisted writes (briefs, audit records) ran, as a full disk or an I/O
/// error on the state row would. Everything else is the real server.
/// </summary>
internal sealed class FlakyStateStore(IActorStateStore inner) : IActorStateStore
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private Func<Exception> _failure = () => new IOException("disk I/O error (injected)");

    public void FailNextSaves(string customerId, int count) => _failures[customerId] = count;

    /// <summary>The failure the next saves throw (by default an I/O error that is not a storage failure, so the event is dead-lettered).</summary>
    public void FailNextSaves(string customerId, int count, Func<Exception> failure)
    {
        _failure = failure;
        _failures[customerId] = count;
    }

    public Task<byte[]?> LoadAsync(ActorId id, string key, CancellationToken cancellationToken) => inner.LoadAsync(id, key, cancellationToken);

    public Task SaveAsync(ActorId id, TurnChanges changes, CancellationToken cancellationToken)
    {
        if (_failures.TryGetValue(id.Id, out var left) && left > 0 && _failures.TryUpdate(id.Id, left - 1, left))
        {
            var failure = _failure();
            changes = changes with { Writes = [.. changes.Writes, _ => throw failure] };
        }
        return inner.SaveAsync(id, changes, cancellationToken);
    }
}

public sealed class DeadLetterTests
{
    private static async Task<(AgentCrmApp App, FlakyStateStore Store)> StartAsync()
    {
        FlakyStateStore? flaky = null;
        var app = await AgentCrmApp.StartAsync(configure: s => s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp =>
            flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp)))));
        _ = app.Services.GetRequiredService<IActorStateStore>();
        return (app, flaky!);
    }

    private static async Task<JsonElement> ReplayAsync(AgentCrmApp app, string body = "")
    {
        using var response = await app.Client.PostAsync("/v1/dead-letters/replay", body.Length == 0 ? null : Variants.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task ATurnThatFailsOnce_IsRetried_AndTheEventApplied()
    {
        var (app, store) = await StartAsync();
        await using var _ = app;
        store.FailNextSaves("fragile", 1);

        await app.PostEventsAsync([Ev.Make("fragile", "nps", DateTimeOffset.UtcNow.AddHours(-1), new { score = 4 })]);
        await app.WaitForProcessingAsync();

        Assert.Equal(1, await app.CustomerFieldAsync("fragile", "events.total"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ATurnThatKeepsFailing_BecomesADeadLetter_ThatOpsReplayOnceFixed_AfterLaterEvents()
    {
        var (app, store) = await StartAsync();
        await using var _ = app;
        var now = DateTimeOffset.UtcNow;
        // The first attempt and every retry fail.
        store.FailNextSaves("fragile", 1 + 3);
        var lost = Ev.Make("fragile", "nps", now.AddHours(-3), new { score = 4 });
        await app.PostEventsAsync([lost]);
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(60));

        var letters = (await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray().ToList();
        var letter = Assert.Single(letters);
        Assert.Equal(lost["id"]!.GetValue<string>(), letter.GetProperty("eventId").GetString());
        Assert.Equal("fragile", letter.GetProperty("customerId").GetString());
        Assert.Contains("disk I/O error", letter.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());

        // The customer's later events are applied meanwhile (its inbox sequence moves past the dead letter).
        await app.PostEventsAsync([Ev.Make("fragile", "login", now.AddHours(-2))]);
        await app.WaitForProcessingAsync();
        Assert.Equal(1, await app.CustomerFieldAsync("fragile", "events.total"));

        var replay = await ReplayAsync(app);
        Assert.Equal(1, replay.GetProperty("replayed").GetInt32());
        Assert.Empty(replay.GetProperty("failed").EnumerateArray());
        Assert.Equal(2, await app.CustomerFieldAsync("fragile", "events.total"));
        Assert.Equal(4, await app.CustomerFieldAsync("fragile", "nps.latest"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        Assert.Equal(0, (await ReplayAsync(app)).GetProperty("replayed").GetInt32());
        // Named again once replayed, it is reported as no dead letter, not silently skipped.
        var again = await ReplayAsync(app, $$"""{"seqs":[{{letter.GetProperty("seq").GetInt64()}}]}""");
        Assert.Equal([letter.GetProperty("seq").GetInt64()], again.GetProperty("notFound").EnumerateArray().Select(s => s.GetInt64()));
        var audit = await app.GetJsonAsync("/v1/audit?action=event.replayed");
        Assert.Equal(lost["id"]!.GetValue<string>(), audit.GetProperty("items")[0].GetProperty("data").GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task ABriefIsStoredWithItsTurnsState_NoneWhileTheEventsAreDeadLetters_AndEachOnceAfterTheReplay()
    {
        var (app, store) = await StartAsync();
        await using var _ = app;
        var streamed = new ConcurrentQueue<string>();
        app.Services.GetRequiredService<AgentCrm.Briefs.BriefStore>().Changed += (b, _, _) => streamed.Enqueue(b.CustomerId);
        var now = DateTimeOffset.UtcNow;
        // The same short at-risk history for two customers (each failing event costs the retries' 6 s): the third event
        // briefs, the fourth fires again inside the cooldown (an audit record on the customer). Every save of "fragile"
        // fails until ops replay its dead letters.
        List<JsonObject> AtRisk(string customer) =>
        [
            Ev.Make(customer, "contract", now.AddDays(-9), new { contractType = "Month-to-month", endDate = now.AddDays(20).ToString("O"), autoRenew = false }),
            Ev.Make(customer, "payment", now.AddDays(-3), new { status = "failed", amount = 990 }),
            Ev.Make(customer, "nps", now.AddDays(-2), new { score = 2 }),
            Ev.Make(customer, "nps", now.AddDays(-1), new { score = 2 }),
        ];
        store.FailNextSaves("fragile", int.MaxValue);
        await app.PostEventsAsync(AtRisk("fragile"));
        await app.PostEventsAsync(AtRisk("steady"));
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(90));

        var expected = (await app.BriefsAsync("&customerId=steady")).Count;
        Assert.True(expected > 0, "the at-risk history should brief the steady customer");
        Assert.NotEmpty((await app.GetJsonAsync("/v1/audit?subject=customer:steady")).GetProperty("items").EnumerateArray());
        Assert.NotEmpty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        // A brief, its audit record and an assessment record are written in the turn's state save: none while it fails,
        // and the brief stream announced none (the failed saves were rolled back).
        Assert.Empty(await app.BriefsAsync("&customerId=fragile"));
        Assert.Empty(await BriefsCreatedAsync(app, "fragile"));
        Assert.Empty((await app.GetJsonAsync("/v1/audit?subject=customer:fragile")).GetProperty("items").EnumerateArray());
        Assert.DoesNotContain("fragile", streamed);

        store.FailNextSaves("fragile", 0);
        Assert.Empty((await ReplayAsync(app)).GetProperty("failed").EnumerateArray());
        Assert.Equal(await app.CustomerFieldAsync("steady", "events.total"), await app.CustomerFieldAsync("fragile", "events.total"));
        var briefs = await app.BriefsAsync("&customerId=fragile");
        Assert.Equal(expected, briefs.Count);
        Assert.Equal(briefs.Select(b => b.GetProperty("id").GetString()).Order(), (await BriefsCreatedAsync(app, "fragile")).Order());
        Assert.Equal(expected, streamed.Count(c => c == "fragile"));
    }

    /// <summary>The briefs the audit log says were created for a customer.</summary>
    private static async Task<List<string?>> BriefsCreatedAsync(AgentCrmApp app, string customerId) =>
        [.. (await app.GetJsonAsync("/v1/audit?action=brief.created&limit=500")).GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("data").GetProperty("customerId").GetString() == customerId)
            .Select(r => r.GetProperty("subject").GetString()!["brief:".Length..])];

    [Fact]
    public async Task ADeadLetterRedeliveredAfterACrash_IsAppliedOnce_AndLeavesTheList()
    {
        var dir = TempDirectory.Create();
        FlakyStateStore? flaky = null;
        await using (var app = await AgentCrmApp.StartAsync(dir, configure: s => s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp =>
            flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp))))))
        {
            _ = app.Services.GetRequiredService<IActorStateStore>();
            flaky!.FailNextSaves("fragile", 1 + 3);
            await app.PostEventsAsync([Ev.Make("fragile", "login", DateTimeOffset.UtcNow.AddHours(-3))]);
            await app.WaitForProcessingAsync(TimeSpan.FromSeconds(60));
            Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        }
        // As after a kill -9 within 100 ms of the dead letter: the watermark was not saved, the event comes again.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value = '0' WHERE key = 'dispatch.watermark'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        await using var again = await AgentCrmApp.StartAsync(dir);
        await again.WaitForProcessingAsync();
        Assert.Equal(1, await again.CustomerFieldAsync("fragile", "events.total"));
        Assert.Empty((await again.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await ReplayAsync(again)).GetProperty("replayed").GetInt32());
        Assert.Equal(1, await again.CustomerFieldAsync("fragile", "events.total"));
    }

    [Fact]
    public async Task AnotherProcessAppendingToTheSameInbox_NumbersItsOwnEvents_AndNothingIsDropped()
    {
        // As a second process opening the data directory would: its own inbox object over the same database.
        await using var app = await AgentCrmApp.StartAsync();
        var now = DateTimeOffset.UtcNow;
        await app.PostEventsAsync([Ev.Make("shared", "login", now.AddMinutes(-4)), Ev.Make("shared", "login", now.AddMinutes(-3))]);
        await app.WaitForProcessingAsync();
        var other = new EventStore(app.Services.GetRequiredService<AgentCrm.Storage.SqliteDatabase>(), app.Services.GetRequiredService<AgentCrm.Storage.SqliteWriter>(), TimeProvider.System);
        var parsed = EventParser.Parse(System.Text.Encoding.UTF8.GetBytes(Ev.Make("shared", "login", now.AddMinutes(-2)).ToJsonString()), ndjson: false, new IntakeOptions(), now);
        Assert.Empty(parsed.Errors);
        await other.AppendAsync(parsed.Events);

        await app.PostEventsAsync([Ev.Make("shared", "login", now.AddMinutes(-1))]);
        await app.WaitForProcessingAsync();

        Assert.Equal(4, await app.CustomerFieldAsync("shared", "events.total"));
    }

    [Fact]
    public async Task Replay_SeqsThatAreNoDeadLetter_AreReportedAsNotFound_InTheOrderGiven()
    {
        await using var app = await AgentCrmApp.StartAsync();

        var replay = await ReplayAsync(app, """{"seqs":[99999,5,99999]}""");

        Assert.Equal(0, replay.GetProperty("replayed").GetInt32());
        Assert.Empty(replay.GetProperty("failed").EnumerateArray());
        Assert.Equal([99999L, 5L], replay.GetProperty("notFound").EnumerateArray().Select(s => s.GetInt64()));
        Assert.Empty((await ReplayAsync(app)).GetProperty("notFound").EnumerateArray());
    }

    [Fact]
    public async Task Replay_BadSeqs_Is400NamingTheField()
    {
        await using var app = await AgentCrmApp.StartAsync();
        foreach (var body in new[] { """{"seqs":[0]}""", """{"seqs":[]}""" })
        {
            using var response = await app.Client.PostAsync("/v1/dead-letters/replay", Variants.Json(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("seqs", out _), body);
        }
    }
}
