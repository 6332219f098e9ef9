using System.Text.Json;
using AgentCrm.Agents.Customers;
using AgentCrm.Customers;
using Microsoft.Data.Sqlite;

namespace AgentCrm.Runtime.Tests.Customers;

/// <summary>
/// The customer actor writes its state with the source-generated <see cref="CustomerStateJson"/>; builds before wrote it by
/// reflection with the Web defaults. Over HTTP and the real SQLite file: what it saves is byte for byte what reflection
/// writes with the hosts' encoder (text as UTF-8, not \uXXXX), and state saved by an earlier build loads and folds new events.
/// </summary>
public sealed class SavedStateJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const string Contract = "Договор «Ромашка» 契約 😀 \u0001\n\"q\"\\ </script> & + ' \u2028";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task SavedState_IsWhatReflectionWrites_AndStateOfEarlierBuildsLoads()
    {
        var dir = TempDirectory.Create();
        await using (var first = await AgentCrmApp.StartAsync(dir))
        {
            await first.PostEventsAsync(
            [
                Ev.Make("json-1", "profile", Now.AddDays(-9), new { name = "Ünïcode \"Co\"", segment = "smb" }),
                Ev.Make("json-1", "contract", Now.AddDays(-8), new { contractType = "one-year", endDate = Now.AddDays(100).ToString("O"), value = 1200.5 }),
                Ev.Make("json-1", "usage", Now.AddDays(-3), new { quantity = 2.5 }),
                Ev.Make("json-1", "support_ticket", Now.AddDays(-2), new { ticketId = "T1", status = "open", priority = "high" }),
                Ev.Make("json-1", "invoice", Now.AddDays(-2), new { invoiceId = "I1", amount = 99.99, status = "open" }),
                Ev.Make("json-1", "payment", Now.AddDays(-1), new { status = "failed" }),
                Ev.Make("json-1", "web_visit", Now.AddDays(-1), new { url = "https://vendor.example/pricing", visitorId = "v1" }),
                Ev.Make("json-1", "email", Now.AddHours(-5), new { category = "inquiry" }),
                Ev.Make("json-1", "document", Now.AddHours(-4), new { docType = "contract", title = "Договор", text = Contract }),
            ]);
            await first.WaitForProcessingAsync();
        }

        var saved = Load(dir, "json-1");
        var state = JsonSerializer.Deserialize<CustomerState>(saved, Web)!;
        Assert.Equal(9, state.EventsApplied);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(state, Web), saved);
        Assert.Equal(Contract, state.Documents.Single().Text);
        Assert.Contains("\"text\":\"Договор «Ромашка» 契約 \\uD83D\\uDE00 \\u0001\\n\\\"q\\\"\\\\ </script> & + ' \\u2028\"", System.Text.Encoding.UTF8.GetString(saved), StringComparison.Ordinal);

        // An earlier build's state (reflection-written, every non-ASCII character and HTML's escaped; failures listed one by
        // one, as before the per-day count).
        var earlier = """
            {"customerId":"json-2","lastInboxSeq":0,"recentEventIds":[],"delivered":{},"eventsApplied":3,
             "firstEventAt":"2026-09-01T00:00:00+00:00","lastEventAt":"2026-10-30T00:00:00+00:00",
             "usageByDay":{"20400":4},"recentUsageEventIds":[],"loginsByDay":{},"tickets":{},
             "paymentFailures":[{"at":"DAYT09:00:00+00:00","eventId":"f1"},{"at":"DAYT10:00:00+00:00","eventId":"f2"}],
             "invoices":{},"webVisits":[],"eventsByDay":{},"latestEventIds":{},"visitors":{},
             "documents":[{"at":"DAYT08:00:00+00:00","docType":"contract","title":null,"text":"\u0414\u043E\u0433\u043E\u0432\u043E\u0440 \u0022q\u0022 \u003C/p\u003E","eventId":"d0"}],"news":[],"lastBriefs":{}}
            """.Replace("DAY", Now.AddDays(-3).ToString("yyyy-MM-dd"), StringComparison.Ordinal);
        Store(dir, "json-2", earlier);

        await using (var second = await AgentCrmApp.StartAsync(dir))
        {
            await second.PostEventsAsync([Ev.Make("json-2", "payment", Now.AddHours(-1), new { status = "failed" })]);
            await second.WaitForProcessingAsync();
            Assert.Equal(4, await second.CustomerFieldAsync("json-2", "events.total"));
            Assert.Equal(3, await second.CustomerFieldAsync("json-2", "billing.paymentFailures90d"));
        }
        var resaved = Load(dir, "json-2");
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize<CustomerState>(resaved, Web)!, Web), resaved);
        Assert.Equal("Договор \"q\" </p>", JsonSerializer.Deserialize<CustomerState>(resaved, Web)!.Documents.Single().Text);
        Assert.Contains("\"text\":\"Договор \\\"q\\\" </p>\"", System.Text.Encoding.UTF8.GetString(resaved), StringComparison.Ordinal);
    }

    /// <summary>A customer's saved state as the actor stored it (its JSON bytes).</summary>
    internal static byte[] Load(string dir, string customerId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT value FROM actor_state WHERE actor_type = $type AND actor_id = $id AND key = $key";
        select.Parameters.AddWithValue("$type", CustomerActor.TypeName);
        select.Parameters.AddWithValue("$id", customerId);
        select.Parameters.AddWithValue("$key", CustomerActor.StateKey);
        return (byte[])select.ExecuteScalar()!;
    }

    private static void Store(string dir, string customerId, string json)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "agentcrm.db")};Pooling=False");
        connection.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO actor_state (actor_type, actor_id, key, value) VALUES ($type, $id, $key, $value)";
        insert.Parameters.AddWithValue("$type", CustomerActor.TypeName);
        insert.Parameters.AddWithValue("$id", customerId);
        insert.Parameters.AddWithValue("$key", CustomerActor.StateKey);
        insert.Parameters.AddWithValue("$value", System.Text.Encoding.UTF8.GetBytes(json));
        insert.ExecuteNonQuery();
    }
}
