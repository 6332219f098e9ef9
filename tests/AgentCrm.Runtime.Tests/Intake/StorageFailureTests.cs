using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentCrm.Actors;
using AgentCrm.Intake;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Display;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// Every log entry the server writes, through a second Serilog logger beside the server's own: rendered as its console
/// shows them (<c>{Message:lj}</c>), with Serilog's own properties (its EventId from Microsoft.Extensions.Logging's).
/// </summary>
internal sealed class CapturedLogs : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter Rendered = new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);

    public sealed record Entry(string Category, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILoggerProvider Provider() => new SerilogLoggerProvider(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger(), dispose: true);

    public void Emit(LogEvent logEvent)
    {
        using var message = new StringWriter();
        Rendered.Format(logEvent, message);
        var category = logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name } ? name : "";
        Entries.Enqueue(new Entry(category, message.ToString(), logEvent.Exception));
    }
}

/// <summary>
/// Storage that fails for real under the server: the writer's own SQLite connection capped by <c>PRAGMA max_page_count</c>
/// (SQLITE_FULL, as a full disk), and a trigger on the real dead_letters table that refuses inserts until it is dropped.
/// </summary>
public sealed class StorageFailureTests
{
    private static async Task<(AgentCrmApp App, CapturedLogs Logs, FlakyStateStore Store)> StartAsync()
    {
        var logs = new CapturedLogs();
        FlakyStateStore? flaky = null;
        var app = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.AddSingleton(logs.Provider());
            s.Replace(ServiceDescriptor.Singleton<IActorStateStore>(sp => flaky = new FlakyStateStore(ActivatorUtilities.CreateInstance<SqliteActorStateStore>(sp))));
        });
        _ = app.Services.GetRequiredService<IActorStateStore>();
        return (app, logs, flaky!);
    }

    /// <summary>Caps the database at its current size on the writer's connection (the cap is per connection), or lifts the cap.</summary>
    private static Task CapDatabaseAsync(AgentCrmApp app, bool full) => app.Services.GetRequiredService<SqliteWriter>().WriteAsync(ctx =>
    {
        using var pragma = ctx.Connection.CreateCommand();
        // A cap below the current size is raised to it: 1 means "not one page more".
        pragma.CommandText = $"PRAGMA max_page_count = {(full ? 1 : 1_073_741_823)}";
        pragma.ExecuteScalar();
    });

    private static List<JsonObject> Batch(int count, string customerPrefix) =>
        Enumerable.Range(0, count).Select(i => Ev.Make($"{customerPrefix}-{i % 7}", "document", DateTimeOffset.UtcNow.AddHours(-1), new { text = new string('x', 150) + i })).ToList();

    public static TheoryData<string, Exception, bool> Failures() => new()
    {
        { "database or disk is full", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13), true },
        { "disk I/O error", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 10: 'disk I/O error'.", 10), true },
        { "I/O error on write (extended code)", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 778: 'disk I/O error'.", 10 | (3 << 8), 10 | (3 << 8)), true },
        { "unable to open the database file", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 14: 'unable to open database file'.", 14), true },
        { "no space left on device", new IOException("No space left on device : '/data/x'", 28), true },
        { "wrapped", new InvalidOperationException("saving failed", new Microsoft.Data.Sqlite.SqliteException("full", 13)), true },
        { "a constraint", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 19: 'UNIQUE constraint failed'.", 19), false },
        { "busy", new Microsoft.Data.Sqlite.SqliteException("SQLite Error 5: 'database is locked'.", 5), false },
        { "another I/O error", new IOException("the pipe broke"), false },
        { "a bug", new InvalidOperationException("oops"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void AStorageFailure_IsA503NamingStorage_AndNothingElseIs(string name, Exception failure, bool storage)
    {
        Assert.True(storage == SqliteWriter.IsStorageFailure(failure), name);
        var classified = AgentCrm.Server.DependencyFailureHandler.Classify(failure);
        Assert.True(storage == (classified == (AgentCrm.Server.DependencyFailureHandler.StorageService, true)), $"{name}: {classified}");
    }

    [Fact]
    public async Task IntakeOnAFullDatabase_Answers503NamingStorage_StoresNothing_IsNotReady_AndLogsTheTraceOnce_ThenRecovers()
    {
        var (app, logs, _) = await StartAsync();
        await using var _app = app;
        var store = app.Services.GetRequiredService<EventStore>();
        using (var ok = await app.PostEventsAsync(Batch(1, "warm")))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        await app.WaitForProcessingAsync();
        using (var ready = await app.Client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var before = store.Count();

        await CapDatabaseAsync(app, full: true);
        var batch = Batch(2000, "full");
        var refusing = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var refused = await app.PostEventsAsync(batch);
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"attempt {attempt}: {(int)refused.StatusCode} {text}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(10), refused.Headers.RetryAfter?.Delta);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.StartsWith("Storage", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("full", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(problem.TryGetProperty("traceId", out _), text);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        // All or nothing: not one event of the refused batches.
        Assert.Equal(before, store.Count());
        foreach (var customer in batch.GroupBy(e => e["customerId"]!.GetValue<string>()))
            Assert.Empty(store.GetRaw(customer.Select(e => e["id"]!.GetValue<string>()), customer.Key));

        using (var notReady = await app.Client.GetAsync("/readyz"))
        {
            var text = await notReady.Content.ReadAsStringAsync();
            Assert.True(notReady.StatusCode == HttpStatusCode.ServiceUnavailable, text);
            Assert.False(JsonDocument.Parse(text).RootElement.GetProperty("storage").GetBoolean(), text);
        }
        // Twenty refusals, one stack trace per logger per 10 s (the rest counted in its next one): the log is not flooded. A loaded
        // machine took 37-60 s for the twenty, and each logger rightly wrote one more trace per 10 s that passed.
        var allowed = 1 + (int)(refusing.Elapsed / AgentCrm.Server.DependencyFailureHandler.LogInterval);
        var traces = logs.Entries.Where(e => e.Exception is not null && SqliteWriter.IsStorageFailure(e.Exception)).ToList();
        Assert.All(traces.GroupBy(e => e.Category), g => Assert.InRange(g.Count(), 1, allowed));
        var handlerTraces = traces.Where(e => e.Category.EndsWith("DependencyFailureHandler", StringComparison.Ordinal)).ToList();
        Assert.InRange(handlerTraces.Count, 1, allowed);
        var trace = handlerTraces[0];
        Assert.Contains("POST /v1/events", trace.Message, StringComparison.Ordinal);

        // Space again: the next commit succeeds, the server is ready, and the same batch is accepted whole, once.
        await CapDatabaseAsync(app, full: false);
        using (var ready = await app.Client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var accepted = await app.PostEventsAsync(batch))
        {
            var text = await accepted.Content.ReadAsStringAsync();
            Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, text);
            Assert.Equal(2000, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32());
        }
        using (var again = await app.PostEventsAsync(batch))
            Assert.Equal(2000, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("duplicates").GetInt32());
        Assert.Equal(before + 2000, store.Count());
        await app.WaitForProcessingAsync();
    }

    [Fact]
    public async Task ADeadLetterThatCannotBeRecorded_IsRetriedUntilDurable_AndTheWatermarkPassesIt_WithoutARestart()
    {
        var (app, logs, store) = await StartAsync();
        await using var _app = app;
        var database = app.Services.GetRequiredService<SqliteDatabase>();
        var dispatcher = app.Services.GetRequiredService<EventDispatcher>();
        var now = DateTimeOffset.UtcNow;
        using (var connection = database.Open())
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TRIGGER test_refuse_dead_letters BEFORE INSERT ON dead_letters BEGIN SELECT RAISE(FAIL, 'disk I/O error (injected on dead_letters)'); END";
            create.ExecuteNonQuery();
        }
        // The first attempt and every retry of its turn fail, then its dead letter cannot be written.
        store.FailNextSaves("fragile", int.MaxValue);
        var lost = Ev.Make("fragile", "nps", now.AddHours(-3), new { score = 4 });
        var lostId = lost["id"]!.GetValue<string>();
        using (var posted = await app.PostEventsAsync([lost]))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var lostSeq = app.Services.GetRequiredService<EventStore>().MaxSeq();
        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message.Contains("could not be recorded", StringComparison.Ordinal)), "the failed dead-letter write to be logged");

        // Meanwhile another customer's event applies, but the watermark stays below the unsettled event; nothing is listed,
        // and nothing claims the dead letter was recorded.
        using (var posted = await app.PostEventsAsync([Ev.Make("steady", "login", now.AddHours(-1))]))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await WaitUntilAsync(async () => await app.CustomerFieldAsync("steady", "events.total") == 1, "the later event to apply");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(dispatcher.Watermark < lostSeq, $"watermark {dispatcher.Watermark}, unsettled seq {lostSeq}");
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("recorded in dead_letters", StringComparison.Ordinal));

        // The fault clears: the dead letter is recorded by a retry, the watermark passes it, all without a restart.
        using (var connection = database.Open())
        using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "DROP TRIGGER test_refuse_dead_letters";
            drop.ExecuteNonQuery();
        }
        await app.WaitForProcessingAsync(TimeSpan.FromSeconds(30));
        var letter = Assert.Single((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.Equal(lostId, letter.GetProperty("eventId").GetString());
        Assert.Equal(lostSeq, letter.GetProperty("seq").GetInt64());
        Assert.Equal(1, (await app.GetJsonAsync("/readyz")).GetProperty("deadLetters").GetInt64());
        await WaitUntilAsync(() => SavedWatermark(database) >= lostSeq, "the watermark to be saved past the dead letter");

        // The log names the CRM event (not Microsoft.Extensions.Logging's EventId) in each line about it.
        Assert.Contains(logs.Entries, e => e.Message.StartsWith($"Event {lostId} (seq {lostSeq}) failed in its actor; retrying in 0.2 s", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.StartsWith($"Event {lostId} (seq {lostSeq}) kept failing", StringComparison.Ordinal));
        Assert.Single(logs.Entries, e => e.Message.StartsWith($"Event {lostId} (seq {lostSeq}) for customer fragile failed in its actor; recorded in dead_letters", StringComparison.Ordinal));

        // Replayed once the turn works again: applied once, and the later customer's event was not applied twice.
        store.FailNextSaves("fragile", 0);
        using var replay = await app.Client.PostAsync("/v1/dead-letters/replay", null);
        Assert.Equal(1, JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("replayed").GetInt32());
        Assert.Equal(1, await app.CustomerFieldAsync("fragile", "events.total"));
        Assert.Equal(1, await app.CustomerFieldAsync("steady", "events.total"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ATurnThatFailsForWantOfStorage_WaitsForItToRecover_AndAppliesOnce_WithoutADeadLetter()
    {
        var (app, logs, store) = await StartAsync();
        await using var _app = app;
        var dispatcher = app.Services.GetRequiredService<EventDispatcher>();
        // The first attempt, the three retries and the first wait for storage fail as a full disk does; the next save works.
        store.FailNextSaves("starved", 5, () => new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13));
        var waiting = Ev.Make("starved", "nps", DateTimeOffset.UtcNow.AddHours(-2), new { score = 3 });
        var waitingId = waiting["id"]!.GetValue<string>();
        using (var posted = await app.PostEventsAsync([waiting]))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var seq = app.Services.GetRequiredService<EventStore>().MaxSeq();

        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message.StartsWith($"Event {waitingId} (seq {seq}) failed in its actor for want of storage", StringComparison.Ordinal)),
            "the turn to wait for storage");
        Assert.True(dispatcher.Watermark < seq, $"watermark {dispatcher.Watermark} passed the waiting event {seq}");
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());

        await WaitUntilAsync(() => dispatcher.Watermark >= seq, "the waiting event to apply once storage recovered");
        Assert.Equal(1, await app.CustomerFieldAsync("starved", "events.total"));
        Assert.Empty((await app.GetJsonAsync("/v1/dead-letters")).GetProperty("items").EnumerateArray());
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("recorded in dead_letters", StringComparison.Ordinal));
    }

    /// <summary>
    /// A full disk fails every turn in flight alike (up to Intake:MaxInFlight, 20,000 events): each used to log its own
    /// stack trace at each of its three retries and its group's (some 79,000 lines, 9 MB, in 10 s for 2,000 events on a full
    /// tmpfs — onto what is often the same full disk). Storage failures of turns are logged as the writer's are: a stack
    /// trace at most once per 10 s per kind, with the count of those not logged; each event still applies once after.
    /// </summary>
    [Fact]
    public async Task TurnsFailingForWantOfStorage_LogAStackTraceOncePerInterval_NotOnePerEventAndRetry()
    {
        var (app, logs, store) = await StartAsync();
        await using var _app = app;
        var customers = Enumerable.Range(0, 40).Select(i => $"starved-{i}").ToList();
        foreach (var customer in customers)
            store.FailNextSaves(customer, 2, () => new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13));
        var events = customers.SelectMany(c => new[] { Ev.Make(c, "nps", DateTimeOffset.UtcNow.AddHours(-2), new { score = 3 }), Ev.Make(c, "login", DateTimeOffset.UtcNow.AddHours(-1), new { }) }).ToList();
        using (var posted = await app.PostEventsAsync(events))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);

        await app.WaitForProcessingAsync();

        foreach (var customer in customers)
            Assert.Equal(2, await app.CustomerFieldAsync(customer, "events.total"));
        var traces = logs.Entries.Where(e => e.Category.EndsWith("EventDispatcher", StringComparison.Ordinal) && e.Exception is not null).ToList();
        Assert.True(traces.Count <= 2, $"{traces.Count} stack traces for {events.Count} events: {string.Join(" | ", traces.Take(5).Select(t => t.Message))}");
    }

    /// <summary>
    /// agentcrm.db deleted under the running server (an operator freeing space, a cleanup script): SQLite in WAL mode goes on
    /// committing into the unlinked file, so every 202 after it would be lost at the next stop (which then refuses the
    /// directory). The writer refuses instead: 503 naming storage, nothing "accepted", and not ready.
    /// </summary>
    [Fact]
    public async Task ADatabaseFileDeletedUnderTheServer_RefusesWrites_InsteadOfAcceptingWhatTheNextStopLoses()
    {
        var (app, _, _) = await StartAsync();
        await using var _app = app;
        using (var ok = await app.PostEventsAsync(Batch(3, "before")))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);

        File.Delete(Path.Combine(app.DataDirectory, "agentcrm.db"));

        using (var refused = await app.PostEventsAsync(Batch(3, "after")))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode} {text}");
            var detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
            Assert.StartsWith("Storage", detail, StringComparison.Ordinal);
            // Told as what happened, not as a full disk.
            Assert.Contains("database file was deleted, moved away or replaced", detail, StringComparison.Ordinal);
        }
        using (var notReady = await app.Client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADatabaseFileDeletedUnderTheServer_StaysRefused_WhenReadsOpenConnectionsOrAFileIsPutAtItsPath(bool putAnEmptyFileThere)
    {
        var (app, _, _) = await StartAsync();
        await using var _app = app;
        using (var ok = await app.PostEventsAsync(Batch(3, "before")))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        var path = Path.Combine(app.DataDirectory, "agentcrm.db");

        File.Delete(path);
        if (putAnEmptyFileThere)
            await File.WriteAllBytesAsync(path, []);
        // Reads in parallel need connections the pool does not hold: opened with create, they put an empty database at the path.
        var reads = await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            using var response = await app.Client.GetAsync("/v1/briefs?limit=1");
            return response.StatusCode;
        }));

        // Reads of a file someone put there find no tables (a 500 each); with none there, they are refused as storage is.
        if (!putAnEmptyFileThere)
            Assert.All(reads, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)status}"));
        using var refused = await app.PostEventsAsync(Batch(3, "after"));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode} {text}");
        Assert.Equal(putAnEmptyFileThere ? 0 : -1, File.Exists(path) ? new FileInfo(path).Length : -1);
    }

    private static long SavedWatermark(SqliteDatabase database)
    {
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = 'dispatch.watermark'";
        return cmd.ExecuteScalar() is string s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Expected {what} within 30 s.");
            await Task.Delay(50);
        }
    }
}
