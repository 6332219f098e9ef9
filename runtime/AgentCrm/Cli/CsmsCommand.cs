using System.CommandLine;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Webhooks;

namespace AgentCrm.Cli;

/// <summary>
/// `agentcrm csms accounts set CSM ACCOUNT…` · `csms accounts show CSM` · `csms accounts clear CSM`: the accounts assigned to
/// a CSM, as <c>PUT</c> and <c>GET /v1/csms/{csmId}/accounts</c> have them, with their rules, audited as the CLI's user
/// (<c>csm.accounts.assigned</c>). A running server on the data directory reads assignments at each check, so a change
/// applies to its next read and webhook attempt; an open stream looks at the change counter every few seconds (an account
/// taken away stops at once: each brief is checked as it is sent; one given is sent from the change on, those meanwhile too). A CSM's webhook (`webhooks add --csm`) needs its accounts
/// first: on a new data directory, this verb assigns them without the HTTP API.
/// </summary>
internal static class CsmsCommand
{
    private static readonly JsonSerializerOptions Output = AgentCrmCli.JsonOutput;

    public static Command Create()
    {
        var csms = new Command("csms", "Customer-success managers: the accounts each one is assigned (what their reads and webhooks are bounded by).");
        var accounts = new Command("accounts", "The customer accounts assigned to a CSM.");

        var setCsm = CsmArgument();
        var setAccounts = new Argument<string[]>("ACCOUNT")
        {
            Description = "The customer ids assigned to the CSM, replacing those it has (at least one; `clear` unassigns all).",
            Arity = ArgumentArity.OneOrMore,
        };
        var set = new Command("set", "Replace the accounts assigned to a CSM (as PUT /v1/csms/{csmId}/accounts).") { setCsm, setAccounts };
        set.SetAction((p, ct) =>
        {
            var list = p.GetValue(setAccounts) ?? [];
            // What the command line itself shows wrong is a usage error, told before the data directory is opened.
            return AccountsProblem(list) is { } usage
                ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p)))
                : CliHost.RunAsync(p, ct, (services, token) => AssignAsync(p, p.GetValue(setCsm)!, list, services, token));
        });

        var showCsm = CsmArgument();
        var show = new Command("show", "The accounts assigned to a CSM, one per line (as GET /v1/csms/{csmId}/accounts).") { showCsm };
        show.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, _) =>
        {
            var csm = p.GetValue(showCsm)!;
            var assigned = new CsmAccounts(csm, Assignments(services).Accounts(csm));
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(assigned, Output));
            else if (assigned.Accounts.Count == 0)
                Console.Error.WriteLine($"No accounts are assigned to CSM '{csm}' (CSM ids are case-sensitive{Meant(csm, services)}).");
            else
                foreach (var account in assigned.Accounts)
                    Console.WriteLine(account);
            return Task.FromResult(0);
        }));

        var clearCsm = CsmArgument();
        var clear = new Command("clear", "Unassign every account of a CSM (as PUT /v1/csms/{csmId}/accounts with an empty list).") { clearCsm };
        clear.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, token) => AssignAsync(p, p.GetValue(clearCsm)!, [], services, token)));

        accounts.Subcommands.Add(set);
        accounts.Subcommands.Add(show);
        accounts.Subcommands.Add(clear);
        csms.Subcommands.Add(accounts);
        return csms;
    }

    /// <summary>The CSM argument: an id of another form is a usage error before the data directory is opened, as the API's 400.</summary>
    private static Argument<string> CsmArgument()
    {
        var csm = new Argument<string>("CSM") { Description = $"The CSM id (a csm key's name or a csm token's name claim): {CsmIds.Rule}; case-sensitive." };
        ValueRules.Add(csm, value => CsmIds.IsValid(value) ? null : "a CSM id is " + CsmIds.Rule);
        return csm;
    }

    /// <summary>The first account the API would refuse (400 naming <c>accounts[i]</c>), or too many of them, in one line; null when none.</summary>
    private static string? AccountsProblem(IReadOnlyList<string> accounts)
    {
        if (accounts.Count > CsmsApi.MaxAccounts)
            return $"ACCOUNT: at most {CsmsApi.MaxAccounts} accounts per CSM (got {accounts.Count})";
        foreach (var account in accounts)
            if (Customers.CustomersApi.CustomerIdProblem(account) is { } problem)
                return $"ACCOUNT: '{Server.Problems.Clip(account, 64)}' is not valid; {problem}";
        return null;
    }

    private static async Task<int> AssignAsync(ParseResult p, string csm, IReadOnlyList<string> accounts, IServiceProvider services, CancellationToken token)
    {
        var assignments = Assignments(services);
        // Ids are case-sensitive: `set Csm024` beside an assigned csm024 made a second CSM, silently, whom no one signs in as
        // (qa35b). Refused, naming the id meant; a CSM whose id differs only in case is still made through the API.
        if (accounts.Count > 0 && !assignments.HasAccounts(csm)
            && assignments.CsmIds().FirstOrDefault(id => string.Equals(id, csm, StringComparison.OrdinalIgnoreCase)) is { } cased)
            return AgentCrmCli.Fail($"no accounts are assigned to CSM '{csm}', but to '{cased}' (did you mean {cased}?): CSM ids are case-sensitive, "
                + $"so this would make a second CSM; nothing was changed (to make one whose id differs only in case: PUT /v1/csms/{csm}/accounts)");
        await assignments.AssignAsync(csm, accounts, CliHost.Actor, token);
        var assigned = new CsmAccounts(csm, assignments.Accounts(csm));
        if (p.GetValue(AgentCrmCli.Json))
            Console.WriteLine(JsonSerializer.Serialize(assigned, Output));
        else
            Console.WriteLine(assigned.Accounts.Count == 0
                ? $"CSM {csm} has no accounts assigned now"
                : $"CSM {csm} has {Counted.Of(assigned.Accounts.Count, "account")} assigned now");
        // A CSM's subscriptions send nothing while it has no accounts (GET /v1/webhooks shows csmAccounts 0): said on stderr,
        // so --json stays clean.
        if (assigned.Accounts.Count == 0)
            foreach (var hook in ActivatorUtilities.CreateInstance<WebhookStore>(services).List().Where(h => h.CsmId == csm))
                Console.Error.WriteLine($"agentcrm: webhook {hook.Id} (--csm {csm}) sends nothing until accounts are assigned again (or remove it: agentcrm webhooks remove {hook.Id})");
        return 0;
    }

    /// <summary>"; did you mean X?" for the assigned CSM id closest to one with no accounts, as the webhook API's hint; else "".</summary>
    private static string Meant(string csm, IServiceProvider services) =>
        Agents.Text.EditDistance.Closest(csm, Assignments(services).CsmIds()) is { } closest ? $"; did you mean {closest}?" : "";

    private static AccountAssignments Assignments(IServiceProvider services) => ActivatorUtilities.CreateInstance<AccountAssignments>(services);
}
