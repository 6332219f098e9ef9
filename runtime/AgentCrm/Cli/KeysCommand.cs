using System.CommandLine;
using System.Text.Json;
using AgentCrm.Access;

namespace AgentCrm.Cli;

/// <summary>`agentcrm keys create --role ROLE --name NAME` (prints the key once) · `keys revoke NAME` · `keys list`.</summary>
internal static class KeysCommand
{
    private static readonly JsonSerializerOptions Output = AgentCrmCli.JsonOutput;

    public static Command Create()
    {
        var keys = new Command("keys", "API keys: each carries one role; only its hash is stored.");
        var role = new Option<string>("--role") { Description = $"One of {string.Join(", ", Roles.All)}.", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var name = new Option<string>("--name") { Description = $"Unique key name, {ApiKeyStore.NameRule} (for a CSM: the CSM id accounts are assigned to).", Required = true };
        // A value of the wrong form is a usage error, as a bad --role is: exit 2 with one line before the data directory is opened.
        name.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.Tokens[^1].Value is var given && !ApiKeyStore.IsValidName(given))
                r.AddError($"--name: '{given}' is not a valid key name: {ApiKeyStore.NameRule}");
        });
        var create = new Command("create", "Create a key and print it once.") { role, name };
        create.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var created = await services.GetRequiredService<ApiKeyStore>().CreateAsync(p.GetValue(name)!, p.GetValue(role)!, CliHost.Actor, token);
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { key = created.Key, name = created.Info.Name, role = created.Info.Role }, Output));
            else
            {
                Console.WriteLine(created.Key);
                Console.Error.WriteLine($"Key '{created.Info.Name}' ({created.Info.Role}) created. It is shown only now: store it; send it as the X-Api-Key header.");
            }
            return 0;
        }));
        var revokeName = new Argument<string>("NAME") { Description = "The key to revoke." };
        // A name no key can have is a usage error before the data directory is opened, as --name's is.
        ValueRules.Add(revokeName, ValueRules.KeyName);
        var revoke = new Command("revoke", "Revoke a key (a running server stops accepting it within 2 s).") { revokeName };
        revoke.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var info = await services.GetRequiredService<ApiKeyStore>().RevokeAsync(p.GetValue(revokeName)!, CliHost.Actor, token);
            Console.WriteLine(p.GetValue(AgentCrmCli.Json) ? JsonSerializer.Serialize(info, Output) : $"Key '{info.Name}' revoked at {info.RevokedAt:O}.");
            return 0;
        }));
        var list = new Command("list", "Keys with their role and state (never the secret).");
        list.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, _) =>
        {
            var all = services.GetRequiredService<ApiKeyStore>().List();
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { items = all }, Output));
            else
                Console.Write(Columns.Render(all.Select(k => new[] { k.Name, k.Role, $"{k.Prefix}…", k.RevokedAt is null ? "active" : $"revoked {k.RevokedAt:O}" })));
            return Task.FromResult(0);
        }));
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(revoke);
        keys.Subcommands.Add(list);
        return keys;
    }
}
