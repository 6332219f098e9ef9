using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Audit;
using AgentCrm.Briefs;
using AgentCrm.Intake;
using AgentCrm.Runtime.Tests.Cli;
using AgentCrm.Server;
using AgentCrm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentCrm.Runtime.Tests.Briefs;

/// <summary>
/// A CSM's brief stream holds their own accounts' briefs only: other accounts' briefs take no place in its queue (qa35b: a
/// CSM reading promptly lost their own briefs to overflow while the server was busy with others'). Reassignment while the
/// stream is open still moves an account's briefs: by the API at once, by the CLI beside the server without losing any.
/// </summary>
public sealed class CsmStreamAccountsTests
{
    [Fact]
    public async Task Stream_ACsmReadingPromptly_GetsEveryOwnBrief_AndNoOverflow_WhileOtherAccountsFloodPastTheQueue()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        var own = Enumerable.Range(0, 10).Select(i => $"own-{i}").ToList();
        await AssignAsync(app, "csm-ola", own);
        using var ola = await app.ClientAsync(Roles.Csm, "csm-ola");
        await using var stream = await StreamEvents.OpenAsync(ola);
        // Read as they come (NextAsync fails on an event other than a brief: an overflow).
        var reading = stream.BriefsAsync(own.Count, "the CSM's own briefs");

        // Every turn's brief commits in one transaction, far more briefs of other accounts than a queue holds, the CSM's own
        // among them: the writer is held (a slow disk) from the moment the events are stored until every turn waits for it.
        using var gate = new ManualResetEventSlim(false);
        var writer = app.Services.GetRequiredService<SqliteWriter>();
        var events = app.Services.GetRequiredService<EventStore>();
        Task? held = null;
        void Hold(IReadOnlyList<StoredEvent> _) => held ??= writer.WriteAsync(_ => gate.Wait(TimeSpan.FromSeconds(90)));
        events.Committed += Hold;
        // The CSM's own first, among others: more than a queue holds come after them in the same commit.
        var others = Enumerable.Range(0, 2 * BriefStreamQueue.Capacity + 200).Select(i => $"other-{i:0000}").ToList();
        var customers = others.Select((c, i) => i % 10 == 5 && i / 10 < own.Count ? [c, own[i / 10]] : new[] { c }).SelectMany(c => c).ToList();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync(customers.Select(c => Ev.Make(c, "nps", DateTimeOffset.UtcNow.AddMinutes(-1), new { score = 3 })))).StatusCode);
        events.Committed -= Hold;
        await QueuedAsync(writer, BriefStreamQueue.Capacity + 300);
        gate.Set();
        await held!;
        await app.WaitForProcessingAsync(TimeSpan.FromMinutes(2));

        var received = await reading;
        Assert.Equal(own, received.Select(e => e.Data.GetProperty("customerId").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Stream_AnAccountMovedByTheApi_GoesToTheNewCsmsStreamAtOnce_AndStopsForTheOld()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        await AssignAsync(app, "csm-ann", ["acme", "ann-only"]);
        await AssignAsync(app, "csm-ben", ["ben-only"]);
        using var annClient = await app.ClientAsync(Roles.Csm, "csm-ann");
        using var benClient = await app.ClientAsync(Roles.Csm, "csm-ben");
        await using var ann = await StreamEvents.OpenAsync(annClient);
        await using var ben = await StreamEvents.OpenAsync(benClient);

        await AssignAsync(app, "csm-ann", ["ann-only"]);
        await AssignAsync(app, "csm-ben", ["ben-only", "acme"]);
        await BriefAsync(app, "acme");
        await BriefAsync(app, "ann-only");
        await BriefAsync(app, "ben-only");

        Assert.Equal(["acme", "ben-only"], (await ben.BriefsAsync(2, "acme's brief, then ben's own")).Select(Customer));
        Assert.Equal("ann-only", Customer(await ann.NextAsync("brief", "ann's own brief, not acme's")));
    }

    [Fact]
    public async Task Stream_AnAccountGivenByTheCliBesideTheServer_ItsBriefsComeOnce_NoneLostBeforeTheServerLooks()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        await AssignAsync(app, "csm-ben", ["ben-only"]);
        using var benClient = await app.ClientAsync(Roles.Csm, "csm-ben");
        await using var ben = await StreamEvents.OpenAsync(benClient);

        var set = await CliRunner.RunAsync(["csms", "accounts", "set", "csm-ben", "ben-only", "acme", "--data", app.DataDirectory]);
        Assert.True(set.ExitCode == 0, set.Stderr);
        // At once, before the server looks at the assignments' change counter (every 2 s).
        await BriefAsync(app, "acme");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await BriefAsync(app, "acme");
        await BriefAsync(app, "ben-only");

        Assert.Equal(["acme", "acme", "ben-only"], (await ben.BriefsAsync(3, "acme's two briefs, then ben's own")).Select(Customer));
    }

    /// <summary>
    /// qa36a #1: the CLI gives an account while the stream is idle, a brief of it commits, and a PUT for the same CSM follows
    /// before the stream looked at the change counter: the PUT's change, held at once, hid the CLI's, and the brief was never
    /// sent. The CLI's change is made as the CLI makes it (its own writer on the same file, raising nothing in the server), at
    /// once, well inside the idle stream's first wait (5 s). The account the PUT gives sends only what commits after it.
    /// </summary>
    [Fact]
    public async Task Stream_APutFollowingAnAccountGivenByTheCli_BeforeTheStreamLooked_StillSendsTheCliAccountsBriefs()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        await AssignAsync(app, "csm-ben", ["ben-only"]);
        using var benClient = await app.ClientAsync(Roles.Csm, "csm-ben");
        await using var ben = await StreamEvents.OpenAsync(benClient);

        await AssignBesideAsync(app, "csm-ben", ["ben-only", "acme"]);
        await BriefAsync(app, "acme");
        await BriefAsync(app, "late");
        await AssignAsync(app, "csm-ben", ["ben-only", "acme", "late"]);
        await BriefAsync(app, "late");
        await BriefAsync(app, "ben-only");

        Assert.Equal(["acme", "late", "ben-only"],
            (await ben.BriefsAsync(3, "acme's brief from after the CLI's change, late's from after the PUT, then ben's own")).Select(Customer));
    }

    /// <summary>
    /// qa36a #2: an account the CLI gives sends the stream its briefs from the change on (and those committed before the
    /// stream looked), never the ones written before it, which another CSM held: a PUT sends none of those either.
    /// </summary>
    [Fact]
    public async Task Stream_AnAccountGivenByTheCli_SendsNoneOfItsBriefsWrittenBeforeTheChange()
    {
        await using var app = await AgentCrmApp.StartAsync();
        await EveryNpsBriefs.PromoteAsync(app);
        await AssignAsync(app, "csm-ann", ["acme"]);
        await AssignAsync(app, "csm-ben", ["ben-only"]);
        using var benClient = await app.ClientAsync(Roles.Csm, "csm-ben");
        await using var ben = await StreamEvents.OpenAsync(benClient);
        await BriefAsync(app, "acme");
        await BriefAsync(app, "acme");

        var set = await CliRunner.RunAsync(["csms", "accounts", "set", "csm-ben", "ben-only", "acme", "--data", app.DataDirectory]);
        Assert.True(set.ExitCode == 0, set.Stderr);
        await BriefAsync(app, "acme");
        await BriefAsync(app, "ben-only");

        var received = await ben.BriefsAsync(2, "acme's brief from after the change, then ben's own");
        Assert.Equal(["acme", "ben-only"], received.Select(Customer));
        // The newest of acme's three, listed first.
        var briefs = app.Services.GetRequiredService<BriefStore>().Query(new BriefQuery("acme", null, null, null, null, 10, null));
        Assert.Equal(3, briefs.Items.Count);
        Assert.Equal(briefs.Items[0].Id, received[0].Data.GetProperty("id").GetString());
    }

    private static string Customer(StreamEvent e) => e.Data.GetProperty("customerId").GetString()!;

    /// <summary>Replaces the CSM's accounts as <c>agentcrm csms accounts set</c> does beside the server: its own writer on the same file, no event in the server.</summary>
    private static async Task AssignBesideAsync(AgentCrmApp app, string csm, IReadOnlyList<string> accounts)
    {
        var options = Options.Create(new StorageOptions { DataDirectory = app.DataDirectory, Synchronous = SyncMode.Normal });
        var database = new SqliteDatabase(options, [AgentCrmServer.Schema], new SchemaUpkeep(EveryOpen: false));
        await using var writer = new SqliteWriter(database, options, NullLogger<SqliteWriter>.Instance);
        await new AccountAssignments(database, writer, new AuditLog(database), TimeProvider.System).AssignAsync(csm, accounts, "cli:test");
    }

    private static async Task BriefAsync(AgentCrmApp app, string customer)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostEventsAsync([Ev.Make(customer, "nps", DateTimeOffset.UtcNow.AddMinutes(-1), new { score = 3 })])).StatusCode);
        await app.WaitForProcessingAsync();
    }

    private static async Task AssignAsync(AgentCrmApp app, string csm, IReadOnlyList<string> accounts)
    {
        using var assigned = await app.Client.PutAsync($"/v1/csms/{csm}/accounts",
            new StringContent(JsonSerializer.Serialize(new { accounts }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
    }

    /// <summary>Waits until at least <paramref name="count"/> writes wait behind the held one and no more come for a second (at most two minutes).</summary>
    private static async Task QueuedAsync(SqliteWriter writer, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var (seen, since) = (-1L, DateTime.UtcNow);
        while (writer.Queued < count || writer.Queued != seen || DateTime.UtcNow - since < TimeSpan.FromSeconds(1))
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} turns' writes waiting behind the held one, {writer.Queued} after two minutes");
            if (writer.Queued != seen)
                (seen, since) = (writer.Queued, DateTime.UtcNow);
            await Task.Delay(50);
        }
    }
}
