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

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>Every log entry the server writes, as rendered (what an operator reads), beside its real providers.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>
/// Storage that fails for real under the server: the writer's own SQLite connection capped by <c>PRAGMA max_page_count</c>
/// (SQLITE_FULL, as a full disk).
/// </summary>
public sealed class StorageFailureTests
{
    private static async Task<(AgentCrmApp App, CapturedLogs Logs, FlakyStateStore Store)> StartAsync()
    {
        var logs = new CapturedLogs();
        FlakyStateStore? flaky = null;
        var app = await AgentCrmApp.StartAsync(configure: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
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
        Assert.Empty(store.GetRaw(batch.Select(e => e["id"]!.GetValue<string>())));

        using (var notReady = await app.Client.GetAsync("/readyz"))
        {
            var text = await notReady.Content.ReadAsStringAsync();
            Assert.True(notReady.StatusCode == HttpStatusCode.ServiceUnavailable, text);
            Assert.False(JsonDocument.Parse(text).RootElement.GetProperty("storage").GetBoolean(), text);
        }
        // Twenty refusals, one stack trace per logger (the rest counted in its next one): the log is not flooded.
        var traces = logs.Entries.Where(e => e.Exception is not null && SqliteWriter.IsStorageFailure(e.Exception)).ToList();
        Assert.All(traces.GroupBy(e => e.Category), g => Assert.Single(g));
        var trace = Assert.Single(traces, e => e.Category.EndsWith("DependencyFailureHandler", StringComparison.Ordinal));
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
}
