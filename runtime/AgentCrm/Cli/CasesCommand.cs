using System.CommandLine;
using System.Text.Json;
using AgentCrm.Sandbox;

namespace AgentCrm.Cli;

/// <summary>`agentcrm cases add NAME FILE --mapping M` (tabular) or `--labels L` (NDJSON timeline) · `cases list` · `cases remove NAME`.</summary>
internal static class CasesCommand
{
    public static Command Create()
    {
        var cases = new Command("cases", "Labeled case sets for the sandbox.");
        var name = new Argument<string>("NAME") { Description = $"Case set name: {CaseSetStore.NameRule}." };
        // A name that cannot be registered (its form, a reserved prefix) is a usage error before the data directory is opened.
        ValueRules.Add(name, n => CaseSetStore.NameProblem(n));
        var file = new Argument<FileInfo>("FILE") { Description = "A CSV (with --mapping) or NDJSON events (with --labels)." };
        var mapping = new Option<FileInfo?>("--mapping") { Description = "YAML mapping of a tabular CSV (see sandbox/mappings/)." };
        var labels = new Option<FileInfo?>("--labels") { Description = "Labels CSV (customerId,cutoff,label) for an NDJSON timeline." };
        var add = new Command("add", "Register a case set; the same content again is unchanged, other content under a taken name is refused (cases remove it first).") { name, file, mapping, labels };
        // Exactly one of --mapping and --labels: a usage error before the data directory is opened.
        // A file that is not there fails before the data directory is opened too.
        add.SetAction((p, ct) => (p.GetValue(mapping) is null) == (p.GetValue(labels) is null)
            ? Task.FromResult(AgentCrmCli.Usage("give exactly one of --mapping (tabular CSV) or --labels (NDJSON timeline)", ParseErrors.CommandPath(p)))
            : ValueRules.MissingFile((p.GetValue(file), "FILE"), (p.GetValue(mapping), "--mapping"), (p.GetValue(labels), "--labels")) is { } missing
            ? Task.FromResult(AgentCrmCli.Fail(missing))
            : CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var store = services.GetRequiredService<CaseSetStore>();
            var data = p.GetValue(file)!;
            var aux = (p.GetValue(mapping) ?? p.GetValue(labels))!;
            store.EnsureSize(data, aux);
            var bytes = await File.ReadAllBytesAsync(data.FullName, token);
            var auxBytes = await File.ReadAllBytesAsync(aux.FullName, token);
            var (info, unchanged) = p.GetValue(mapping) is not null
                ? await store.AddTabularAsync(p.GetValue(name)!, bytes, data.Name, auxBytes, aux.Name, token, CliHost.Actor)
                : await store.AddTimelineAsync(p.GetValue(name)!, bytes, data.Name, auxBytes, aux.Name, token, CliHost.Actor);
            if (p.GetValue(AgentCrmCli.Json))
            {
                var json = JsonSerializer.SerializeToNode(info, Output)!.AsObject();
                json["unchanged"] = unchanged;
                Console.WriteLine(json.ToJsonString(Output));
            }
            else
                Console.WriteLine($"{info.Name}: {(unchanged ? "unchanged, " : "")}{Counted.Of(info.Cases, "case")}, {info.Positives} positive ({info.Kind}, {info.Hash[..19]})");
            return 0;
        }));
        var list = new Command("list", "Registered case sets.");
        list.SetAction((p, ct) => CliHost.RunAsync(p, ct, (services, _) =>
        {
            var sets = services.GetRequiredService<CaseSetStore>().List();
            if (p.GetValue(AgentCrmCli.Json))
                Console.WriteLine(JsonSerializer.Serialize(new { items = sets }, Output));
            else
                Console.Write(Columns.Render(sets.Select(s => new[] { s.Name, s.Kind, Counted.Cell(s.Cases, "case"), $"{s.Positives} positive", s.Hash[..19] }), 2, 3));
            return Task.FromResult(0);
        }));
        var removeName = new Argument<string>("NAME") { Description = "Case set name, e.g. upload:3f2a9c0d41be." };
        ValueRules.Add(removeName, ValueRules.CaseSetName);
        var remove = new Command("remove", "Remove a stored case set (shipped and feedback: sets cannot be removed).") { removeName };
        remove.SetAction((p, ct) => CliHost.RunAsync(p, ct, async (services, token) =>
        {
            var target = p.GetValue(removeName)!;
            try
            {
                if (!await services.GetRequiredService<CaseSetStore>().RemoveAsync(target, token, CliHost.Actor))
                    throw new CaseSetNotFoundException(target);
            }
            catch (CaseSetProtectedException ex)
            {
                return AgentCrmCli.Fail(ex.Message);
            }
            Console.WriteLine(p.GetValue(AgentCrmCli.Json) ? JsonSerializer.Serialize(new { removed = target }, Output) : $"removed {target}");
            return 0;
        }));
        cases.Subcommands.Add(add);
        cases.Subcommands.Add(list);
        cases.Subcommands.Add(remove);
        return cases;
    }

    private static readonly JsonSerializerOptions Output = AgentCrmCli.JsonOutput;
}
