using System.CommandLine;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Agents;
using AgentCrm.Webhooks;

namespace AgentCrm.Cli;

/// <summary>
/// `agentcrm webhooks add URL [--csm ID] [--agent ID] [--secret S]` (prints the id and the secret once) · `webhooks list` ·
/// `webhooks remove ID` · `webhooks rotate-secret ID [--secret S] [--overlap T]` (prints the new secret once) · `webhooks enable ID`
/// (a subscription disabled for failing longer than Webhooks:DisableAfter): the subscriptions of <c>/v1/webhooks</c>, with its rules and its cap, audited as the CLI's user. A
/// running server on the data directory starts or stops delivering within 2 s (its dispatcher watches the subscriptions'
/// change counter, as the registry watcher watches the registry's).
/// </summary>
internal static class WebhooksCommand
{
    private static readonly JsonSerializerOptions Output = AgentCrmCli.JsonOutput;

    /// <summary>The API's fields as the command line names them, in the messages that name them.</summary>
    private static readonly WebhookFields Fields = new("URL", "--csm", "--agent", "--secret", "agentcrm agents list", "--overlap", "agentcrm csms accounts set {0} ACCOUNT…");

    public static Command Create()
    {
        var webhooks = new Command("webhooks", "Webhook subscriptions: briefs CSMs may see, POSTed to a URL as they are delivered or retracted.");
        var url = new Argument<string>("URL") { Description = "The absolute http or https URL the briefs are posted to." };
        var csm = new Option<string?>("--csm") { Description = "Only briefs of the accounts assigned to this CSM id." };
        var agent = new Option<string?>("--agent") { Description = "Only this agent's briefs (an agent id the registry knows)." };
        var secret = new Option<string?>("--secret") { Description = "The signing secret, 16-256 printable ASCII characters without spaces; left out, one is generated." };
        var add = new Command("add", "Subscribe a URL; prints the id and the secret once (a running server starts delivering within 2 s).") { url, csm, agent, secret };
        add.SetAction((p, ct) =>
        {
            var request = new WebhookRequest(p.GetValue(url), p.GetValue(csm), p.GetValue(agent), p.GetValue(secret));
            // What the command line itself shows wrong is a usage error, told before the data directory is opened.
            return Problem(WebhooksApi.ValidateForm(request, Fields)) is { } usage
                ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p)))
                : CliHost.RunAsync(p, ct, (services, token) => AddAsync(p, request, services, token));
        });

        var list = new Command("list", "Subscriptions and their delivery state (never the secret).");
        list.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, _) =>
        {
            var store = Store(services);
            var views = store.List().Select(h => WebhookView.Of(h, store.Backlog(h))).ToList();
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { items = views }, Output));
            else
                Console.Write(Columns.Render(views.Select(v => new[]
                {
                    v.Id, v.Url, Csm(v), v.AgentId is null ? "every agent" : $"agent {v.AgentId}",
                    $"{v.Delivered} delivered", $"{v.Backlog} backlog", $"{v.ConsecutiveFailures} failed in a row",
                    v.DisabledAt is { } disabledAt ? $"disabled since {disabledAt:u}" : "", LastError(v),
                }), 4, 5, 6));
            return Task.FromResult(0);
        }));

        var removeId = new Argument<string>("ID") { Description = "The subscription's id (wh_…), as `webhooks list` shows it." };
        // An id of another form names no subscription: a usage error before the data directory is opened.
        ValueRules.Add(removeId, ValueRules.WebhookId);
        var remove = new Command("remove", "Delete a subscription: its backlog is not sent (a running server stops delivering within 2 s).") { removeId };
        remove.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var id = p.GetValue(removeId)!;
            if (!await Store(services).DeleteAsync(id, CliHost.Actor, token))
                return AgentCrmCli.Fail($"no webhook '{id}' (webhooks list shows them)");
            Console.WriteLine(p.GetValue(AgentCrmCli.Json) ? JsonSerializer.Serialize(new { removed = id }, Output) : $"removed {id}");
            return 0;
        }));

        var rotateId = new Argument<string>("ID") { Description = "The subscription's id (wh_…), as `webhooks list` shows it." };
        ValueRules.Add(rotateId, ValueRules.WebhookId);
        var newSecret = new Option<string?>("--secret") { Description = "The new signing secret, 16-256 printable ASCII characters without spaces; left out, one is generated." };
        var overlap = new Option<string?>("--overlap")
        {
            Description = "How long the old secret still signs beside the new one, 00:00:00 to 7.00:00:00 (0: not at all, e.g. after a leak); "
                + "left out, Webhooks:SecretOverlap as this command's own configuration sets it (24 h by default), not the server's.",
        };
        var rotate = new Command("rotate-secret",
            "Replace a subscription's signing secret and print it once; the cursor stays, and the old secret still signs beside it for --overlap (default Webhooks:SecretOverlap).")
            { rotateId, newSecret, overlap };
        rotate.SetAction((p, ct) =>
        {
            var given = p.GetValue(newSecret);
            var overlapProblem = WebhooksApi.OverlapProblem(p.GetValue(overlap), Fields, out var asked);
            var usage = WebhooksApi.SecretProblem(given, Fields) ?? overlapProblem;
            return usage is not null
                ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p)))
                : CliHost.RunAsync(p, ct, (services, token) => RotateAsync(p, p.GetValue(rotateId)!, given, asked, services, token));
        });

        var enableId = new Argument<string>("ID") { Description = "The subscription's id (wh_…), as `webhooks list` shows it." };
        ValueRules.Add(enableId, ValueRules.WebhookId);
        var enable = new Command("enable",
            "Enable a subscription disabled for failing longer than Webhooks:DisableAfter: it resumes from its cursor, its backlog in order (a running server within 2 s). An active one is left as it is.")
            { enableId };
        enable.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, token) => EnableAsync(p, p.GetValue(enableId)!, services, token)));

        webhooks.Subcommands.Add(add);
        webhooks.Subcommands.Add(list);
        webhooks.Subcommands.Add(remove);
        webhooks.Subcommands.Add(rotate);
        webhooks.Subcommands.Add(enable);
        return webhooks;
    }

    private static async Task<int> AddAsync(ParseResult p, WebhookRequest request, IServiceProvider services, CancellationToken token)
    {
        var max = WebhookHosting.ReadOptions(services.GetRequiredService<IConfiguration>()).MaxSubscriptions;
        var accounts = ActivatorUtilities.CreateInstance<AccountAssignments>(services);
        if (Problem(WebhooksApi.Validate(request, services.GetRequiredService<AgentRegistry>(), accounts, Fields)) is { } problem)
            return AgentCrmCli.Fail(problem);
        var creation = await Store(services).CreateAsync(request.Url!, request.CsmId, request.AgentId, request.Secret ?? WebhookStore.NewSecret(), CliHost.Actor, max, token);
        if (creation.Existing is { } existing)
            return AgentCrmCli.Fail($"webhook {existing} already posts to this URL with the same --csm and --agent: a second would receive each change again; use it, or remove it first (agentcrm webhooks remove {existing})");
        if (creation.Hook is not { } hook)
            return AgentCrmCli.Fail($"the limit of {Counted.Of(max, "subscription")} (Webhooks:MaxSubscriptions) is reached; remove one first (agentcrm webhooks remove ID)");
        var created = WebhookCreated.Of(hook);
        if (p.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(created, Output));
        else
        {
            Console.Write(Columns.Render([["id", created.Id], ["secret", created.Secret]]));
            Console.Error.WriteLine($"Webhook {created.Id} created for {created.Url}. The secret is shown only now: the receiver checks {WebhookDispatcher.SignatureHeader} with it.");
        }
        return 0;
    }

    private static async Task<int> RotateAsync(ParseResult p, string id, string? secret, TimeSpan? asked, IServiceProvider services, CancellationToken token)
    {
        // The setting as this process's configuration has it: a server's environment (a systemd unit's) is not ours.
        var overlap = asked ?? WebhookHosting.ReadOptions(services.GetRequiredService<IConfiguration>()).SecretOverlap;
        var store = Store(services);
        if (await store.RotateSecretAsync(id, secret ?? WebhookStore.NewSecret(), overlap, CliHost.Actor, token) is not { } hook)
            return AgentCrmCli.Fail($"no webhook '{id}' (webhooks list shows them)");
        var rotated = WebhookSecretRotated.Of(hook, store.Backlog(hook));
        if (p.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(rotated, Output));
        else
        {
            Console.Write(Columns.Render([["id", rotated.Id], ["secret", rotated.Secret]]));
            Console.Error.WriteLine(rotated.PreviousSecretValidUntil is { } until
                ? $"Webhook {rotated.Id}: new secret, shown only now. Until {until:u} each request carries a {WebhookDispatcher.SignatureHeader} v1 for the new and for the old secret; after that, the new one only."
                : $"Webhook {rotated.Id}: new secret, shown only now; requests are signed with it alone ({(asked is null ? "Webhooks:SecretOverlap" : "--overlap")} is 0).");
        }
        return 0;
    }

    private static async Task<int> EnableAsync(ParseResult p, string id, IServiceProvider services, CancellationToken token)
    {
        var store = Store(services);
        if (await store.EnableAsync(id, CliHost.Actor, token) is not { } enabled)
            return AgentCrmCli.Fail($"no webhook '{id}' (webhooks list shows them)");
        var view = WebhookView.Of(enabled.Hook, store.Backlog(enabled.Hook));
        if (p.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(view, Output));
        else
            Console.WriteLine(enabled.Enabled
                ? $"enabled {id}: it resumes after sequence {view.Cursor} ({Counted.Of(view.Backlog, "change")} to send)"
                : $"{id} is already active (nothing changed)");
        return 0;
    }

    /// <summary>Whose briefs a subscription sends: a CSM whose accounts were all taken away since is told as sending nothing.</summary>
    internal static string Csm(WebhookView v) =>
        v.CsmId is null ? "every csm" : v.CsmAccounts == 0 ? $"csm {v.CsmId} (no accounts assigned: sends nothing)" : $"csm {v.CsmId}";

    /// <summary>
    /// The latest failed attempt's error, kept after a success: a past one (a success came after it) says so with its time,
    /// so "0 failed in a row" beside it does not read as a failure now (an error of an earlier start, with other settings).
    /// </summary>
    internal static string LastError(WebhookView v) =>
        v.LastError is not { } error ? ""
        : v.LastSuccessAt > v.LastFailureAt ? $"delivering again; last error at {v.LastFailureAt:u}: {error}"
        : $"last error: {error}";

    /// <summary>The store over the CLI's services (the server's own registration is in <see cref="WebhookHosting"/>).</summary>
    private static WebhookStore Store(IServiceProvider services) => ActivatorUtilities.CreateInstance<WebhookStore>(services);

    /// <summary>The first field at fault, in one line that names its argument or option; null when there is none.</summary>
    private static string? Problem(Dictionary<string, string[]> errors)
    {
        if (errors.Count == 0)
            return null;
        var (key, messages) = errors.First();
        var name = Fields.Of(key);
        return messages[0].Contains(name, StringComparison.Ordinal) ? messages[0] : $"{name}: {messages[0]}";
    }
}
