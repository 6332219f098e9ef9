using System.Net;
using AgentCrm.Intake;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Intake;

/// <summary>Raw events are read back for one customer only: a brief's evidence never quotes another customer's event.</summary>
public sealed class EventStoreRawTests
{
    [Fact]
    public async Task GetRaw_OfAnotherCustomersEventId_ReturnsNothing_OfItsOwn_TheEvent()
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        using var posted = await app.PostEventsAsync([
            Ev.Make("acme", "nps", at, new { score = 2, comment = "acme private comment" }, id: "acme-nps-1"),
            Ev.Make("globex", "nps", at, new { score = 9 }, id: "globex-nps-1"),
        ]);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var store = app.Services.GetRequiredService<EventStore>();

        // An agent's reason (a plugin's, say) citing acme's event for globex's brief.
        Assert.Empty(store.GetRaw(["acme-nps-1"], "globex"));
        var own = Assert.Single(store.GetRaw(["acme-nps-1", "globex-nps-1"], "globex"));
        Assert.Equal("globex-nps-1", own.GetProperty("id").GetString());
        Assert.Contains("acme private comment", Assert.Single(store.GetRaw(["acme-nps-1"], "acme")).GetRawText(), StringComparison.Ordinal);
    }
    [Theory]
    [InlineData("{broken")]
    [InlineData("""{"id":"raw-2"}""")]
    [InlineData("[1]")]
    public async Task GetRaw_OfAnEventWhoseStoredBodyIsUnreadable_LeavesItOut_AndReturnsTheOthers(string damage)
    {
        await using var app = await AgentCrmApp.StartAsync();
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        using var posted = await app.PostEventsAsync([
            Ev.Make("raw", "login", at, id: "raw-1"),
            Ev.Make("raw", "login", at.AddMinutes(1), id: "raw-2"),
        ]);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        await app.WaitForProcessingAsync();
        SqliteConnection.ClearAllPools();
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(app.DataDirectory, "agentcrm.db")};Pooling=false"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE events SET body = $b WHERE id = 'raw-2'";
            cmd.Parameters.AddWithValue("$b", damage);
            cmd.ExecuteNonQuery();
        }

        // A brief's evidence citing the damaged event (a dead letter until repaired) shows the others, not a 500.
        var shown = Assert.Single(app.Services.GetRequiredService<EventStore>().GetRaw(["raw-1", "raw-2"], "raw"));
        Assert.Equal("raw-1", shown.GetProperty("id").GetString());
    }
}
