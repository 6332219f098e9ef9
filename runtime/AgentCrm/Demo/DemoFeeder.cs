using System.Text;
using System.Text.Json;
using AgentCrm.Briefs;
using AgentCrm.Intake;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace AgentCrm.Demo;

/// <summary>`serve --demo`: once the server listens, feeds the demo timeline through intake and prints where to look.</summary>
public static class DemoFeeder
{
    /// <param name="app">The server, fed once it listens.</param>
    /// <param name="json">Print the summary as one JSON line (`serve --json`, whose log lines are JSON too), not as text.</param>
    public static void Attach(WebApplication app, bool json = false) =>
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => FeedAsync(app, json)));

    /// <summary>The accounts the demo's csm key is assigned on the first start.</summary>
    private static readonly List<string> CsmAccounts = Enumerable.Range(1, 10).Select(i => $"demo-{i:00}").ToList();

    /// <summary>The --json summary: the API's names, on one line.</summary>
    private static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// A fresh key per role under the same name on every start (<c>demo-ROLE</c>): the previous start's keys are revoked
    /// (they were shown once and cannot be shown again), while the names, and so the CSM's identity, its accounts (assigned
    /// on the first start only: an admin's change stays), its acknowledgements and the webhooks made for it, stay. Keys of
    /// builds that named them <c>demo-ROLE-TIME</c> are revoked too.
    /// </summary>
    private static async Task<Dictionary<string, string>> DemoKeysAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<Access.ApiKeyStore>();
        var existing = store.List();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in Access.Roles.All)
        {
            var name = $"demo-{role}";
            foreach (var old in existing.Where(k => k.Role == role && k.RevokedAt is null && (k.Name == name || k.Name.StartsWith($"demo-{role}-", StringComparison.Ordinal))))
                await store.RevokeAsync(old.Name, "system:demo", cancellationToken);
            keys[role] = (await store.CreateAsync(name, role, "system:demo", cancellationToken)).Key;
            // The first start assigns the demo accounts; later starts keep what the CSM was assigned since (an admin's
            // change, an empty list included), as they keep its identity: only a CSM never assigned is assigned.
            if (role == Access.Roles.Csm && !EverAssigned(services, name))
                await services.GetRequiredService<Access.AccountAssignments>().AssignAsync(name, CsmAccounts, "system:demo", cancellationToken);
        }
        return keys;
    }

    /// <summary>Whether the CSM has accounts or ever had some assigned (the audit log keeps each assignment, an empty one too).</summary>
    private static bool EverAssigned(IServiceProvider services, string csmId) =>
        services.GetRequiredService<Access.AccountAssignments>().Accounts(csmId).Count > 0
        || services.GetRequiredService<Audit.AuditLog>().Query(new Audit.AuditQuery($"csm:{csmId}", "csm.accounts.assigned", null, 1, null)).Count > 0;

    /// <summary>What the csm key sees: "sees its 10 accounts, demo-01 to demo-10, only", "sees its accounts demo-03 and demo-12 only".</summary>
    private static string Sees(IReadOnlyList<string> accounts) => accounts.Count switch
    {
        0 => "has no accounts assigned and sees no briefs (PUT /v1/csms/demo-csm/accounts assigns some)",
        1 => $"sees its account {accounts[0]} only",
        2 => $"sees its accounts {accounts[0]} and {accounts[1]} only",
        _ => $"sees its {Cli.Counted.Of(accounts.Count, "account")}, {accounts[0]} to {accounts[^1]}, only",
    };

    private static async Task FeedAsync(WebApplication app, bool json)
    {
        try
        {
            var services = app.Services;
            var store = services.GetRequiredService<EventStore>();
            var dispatcher = services.GetRequiredService<EventDispatcher>();
            var briefs = services.GetRequiredService<BriefStore>();
            var options = services.GetRequiredService<IOptions<IntakeOptions>>().Value;
            var time = services.GetRequiredService<TimeProvider>();
            var now = time.GetUtcNow();
            var ndjson = string.Join('\n', DemoTimeline.Generate(now).Select(e => e.ToJsonString()));
            var parsed = EventParser.Parse(Encoding.UTF8.GetBytes(ndjson), ndjson: true, options, now);
            if (parsed.Errors.Count > 0)
                throw new InvalidOperationException("The demo timeline is invalid: " + JsonSerializer.Serialize(parsed.Errors));
            // The timeline is drawn relative to now: on a later start the events stored by an earlier one stand.
            var result = await store.AppendAsync(parsed.Events, IdReuse.KeepStored, app.Lifetime.ApplicationStopping);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (dispatcher.Watermark < store.MaxSeq() && DateTime.UtcNow < deadline && !app.Lifetime.ApplicationStopping.IsCancellationRequested)
                await Task.Delay(100);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5080";
            var briefCount = briefs.Count();
            var keys = await DemoKeysAsync(services, app.Lifetime.ApplicationStopping);
            // What the CSM has now: an admin may have changed it since the first start.
            var csmAccounts = services.GetRequiredService<Access.AccountAssignments>().Accounts($"demo-{Access.Roles.Csm}");
            if (json)
            {
                // One line among the log's JSON lines (jq 'select(.demo)'), written at once so no log line splits it.
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    demo = new
                    {
                        events = parsed.Events.Count, customers = DemoTimeline.CustomerCount, accepted = result.Accepted, duplicates = result.Duplicates,
                        briefs = briefCount, address, console = $"{address}/console", keys, csmAccounts,
                    },
                }, JsonOutput));
                return;
            }
            Console.WriteLine();
            Console.WriteLine($"Demo: fed {parsed.Events.Count} events for {DemoTimeline.CustomerCount} customers ({result.Accepted} new, {result.Duplicates} already stored); {Cli.Counted.Of(briefCount, "brief")} so far.");
            Console.WriteLine("API keys for this demo, one per role (send as X-Api-Key; every --demo start revokes the previous start's keys and prints new ones):");
            foreach (var (role, key) in keys)
                Console.WriteLine($"  {role,-10} {key}");
            Console.WriteLine($"Look at the briefs: every account's with the ops key; the csm key (CSM demo-csm) {Sees(csmAccounts)}:");
            Console.WriteLine($"  curl -s -H 'X-Api-Key: {keys["ops"]}' '{address}/v1/briefs?limit=5'");
            Console.WriteLine($"  curl -s -H 'X-Api-Key: {keys["csm"]}' '{address}/v1/briefs?limit=5'");
            if (csmAccounts.Count > 0)
                Console.WriteLine($"  curl -s -H 'X-Api-Key: {keys["csm"]}' {address}/v1/customers/{csmAccounts[0]}");
            Console.WriteLine($"  curl -s -H 'X-Api-Key: {keys["reviewer"]}' {address}/v1/reviews");
            Console.WriteLine($"  curl -s -H 'X-Api-Key: {keys["ops"]}' {address}/v1/agents");
            Console.WriteLine($"Or open {address}/console in a browser and sign in with the csm or reviewer key.");
            Console.WriteLine("Press Ctrl+C to stop.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"agentcrm: the demo feed failed: {ex.Message}");
        }
    }
}
