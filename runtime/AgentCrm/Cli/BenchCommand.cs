using System.CommandLine;
using AgentCrm.Bench;

namespace AgentCrm.Cli;

internal static class BenchCommand
{
    /// <summary>The benchmarks run instead of the runtime's: one at most.</summary>
    private static readonly Option<bool>[] Benchmarks = [BenchRunner.Replay, BenchRunner.Knowledge, BenchRunner.Kinds];

    /// <summary>What only the runtime benchmark reads: the others run on data of their own, in memory.</summary>
    private static readonly Option[] RuntimeOptions = [BenchRunner.Events, BenchRunner.Customers, BenchRunner.Warmup, BenchRunner.Sync, BenchRunner.InProcess, AgentCrmCli.Data];

    // Once per process (the options are static and the command tree is built per run): usage errors (exit 2) naming the
    // option, not the Storage:Synchronous setting the value is handed to.
    static BenchCommand()
    {
        BenchRunner.Sync.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !Enum.GetNames<Storage.SyncMode>().Contains(r.Tokens[^1].Value, StringComparer.OrdinalIgnoreCase))
                r.AddError($"--sync: '{r.Tokens[^1].Value}' is not valid; it takes {string.Join(" or ", Enum.GetNames<Storage.SyncMode>())}.");
        });
        ValueRules.Add(BenchRunner.Events, ValueRules.AtLeast(1000));
        ValueRules.Add(BenchRunner.Customers, ValueRules.AtLeast(1));
        ValueRules.Add(BenchRunner.Warmup, ValueRules.AtLeast(0));
    }

    public static Command Create()
    {
        var command = new Command("bench", "The runtime benchmark: intake → actor → agent → brief with durability on.");
        command.Options.Add(BenchRunner.Events);
        command.Options.Add(BenchRunner.Customers);
        command.Options.Add(BenchRunner.Warmup);
        command.Options.Add(BenchRunner.Sync);
        command.Options.Add(BenchRunner.InProcess);
        command.Options.Add(BenchRunner.Replay);
        command.Options.Add(BenchRunner.Knowledge);
        command.Options.Add(BenchRunner.Kinds);
        command.SetAction((p, ct) => UsageProblem(p) is { } usage ? Task.FromResult(AgentCrmCli.Usage(usage, ParseErrors.CommandPath(p))) : BenchRunner.RunAsync(p, ct));
        return command;
    }

    /// <summary>Two benchmarks at once, or an option of the runtime benchmark given to another: a usage error naming them.</summary>
    private static string? UsageProblem(ParseResult p)
    {
        var chosen = ValueRules.Given(p, Benchmarks);
        if (chosen.Count > 1)
            return $"{string.Join(", ", chosen)}: give one benchmark at a time ({string.Join(", ", Benchmarks.Select(b => b.Name))}, or none of them for the runtime benchmark)";
        var runtimeOnly = ValueRules.Given(p, RuntimeOptions);
        return chosen.Count == 1 && runtimeOnly.Count > 0
            ? $"{string.Join(", ", runtimeOnly)} {(runtimeOnly.Count == 1 ? "applies" : "apply")} only to the runtime benchmark (bench without {string.Join(", ", Benchmarks.Select(b => b.Name))}), not to {chosen[0]}"
            : null;
    }
}
