using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Intake;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>
/// The inbox counts each customer's events in memory (no read per event on the writer thread); after months that is every
/// customer ever seen. The counts keep the customers numbered lately only, and never give a number twice.
/// </summary>
public sealed class EventNumbersBoundTests : IDisposable
{
    private readonly string _directory = TempDirectory.Create();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IncomingEvent Event(string id, string customer)
    {
        var e = new CrmEvent(id, customer, "login", DateTimeOffset.UnixEpoch, null, JsonDocument.Parse("{}").RootElement);
        return new IncomingEvent(e, JsonSerializer.Serialize(new { id, customerId = customer, type = "login", occurredAt = "1970-01-01T00:00:00Z" }));
    }

    [Fact]
    public async Task AppendAsync_ForMoreCustomersThanItKeeps_HoldsABoundedCount_AndGivesNoNumberTwice()
    {
        var options = Options.Create(new StorageOptions { DataDirectory = _directory, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options, [AgentCrmServer.Schema]);
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        var store = new EventStore(database, writer, TimeProvider.System);

        var first = await store.AppendAsync([Event("first-1", "c-first"), Event("kept-1", "c-kept")]);
        var customers = 2 * EventStore.NumbersKept + 10;
        for (var start = 0; start < customers; start += 2000)
        {
            var batch = Enumerable.Range(start, Math.Min(2000, customers - start)).Select(i => Event($"e-{i}", $"c-{i}")).ToList();
            // One customer stays active throughout: its count must go on under its source.
            batch.Add(Event($"kept-{start}-a", "c-kept"));
            await store.AppendAsync(batch);
        }
        Assert.InRange(store.CustomersCounted, 1, 2 * EventStore.NumbersKept);

        // The first customer's count was dropped: it starts again, under a source it was never numbered under.
        await store.AppendAsync([Event("first-2", "c-first"), Event("kept-last", "c-kept")]);
        using var connection = database.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            SELECT e.id, n.source, n.number FROM events e JOIN event_numbers_v2 n ON n.seq = e.seq
            WHERE e.customer_id IN ('c-first', 'c-kept') ORDER BY e.seq
            """;
        var rows = new List<(string Id, string Source, long Number)>();
        using (var reader = cmd.ExecuteReader())
            while (reader.Read())
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        var firstRows = rows.Where(r => r.Id.StartsWith("first-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, firstRows.Count);
        Assert.NotEqual(firstRows[0].Source, firstRows[1].Source);
        var kept = rows.Where(r => r.Id.StartsWith("kept-", StringComparison.Ordinal)).ToList();
        Assert.Single(kept.Select(r => r.Source).Distinct());
        Assert.Equal(Enumerable.Range(1, kept.Count).Select(i => (long)i), kept.Select(r => r.Number));

        // No customer was given the same number under the same source twice.
        cmd.CommandText = """
            SELECT count(*) FROM (SELECT 1 FROM events e JOIN event_numbers_v2 n ON n.seq = e.seq
            GROUP BY e.customer_id, n.source, n.number HAVING count(*) > 1)
            """;
        Assert.Equal(0L, (long)cmd.ExecuteScalar()!);
        Assert.Equal(2, first.Accepted);
        SqliteConnection.ClearAllPools();
    }
}
