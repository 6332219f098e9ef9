using System.CommandLine;

namespace AgentCrm.Cli;

internal static class BenchCommand
{
    // Once per process (the option is static and the command tree is built per run): a usage error (exit 2) naming --sync,
    // not the Storage:Synchronous setting the value is handed to.
    static BenchCommand() =>
        Bench.BenchRunner.Sync.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !Enum.GetNames<Storage.SyncMode>().Contains(r.Tokens[^1].Value, StringComparer.OrdinalIgnoreCase))
                r.AddError($"--sync: '{r.Tokens[^1].Value}' is not valid; it takes {string.Join(" or ", Enum.GetNames<Storage.SyncMode>())}.");
        });

    public static Command Create()
    {
        var command = new Command("bench", "The runtime benchmark: intake → actor → agent → brief with durability on.");
        command.Options.Add(Bench.BenchRunner.Events);
        command.Options.Add(Bench.BenchRunner.Customers);
        command.Options.Add(Bench.BenchRunner.Warmup);
        command.Options.Add(Bench.BenchRunner.Sync);
        command.Options.Add(Bench.BenchRunner.InProcess);
        command.Options.Add(Bench.BenchRunner.Replay);
        command.Options.Add(Bench.BenchRunner.Knowledge);
        command.Options.Add(Bench.BenchRunner.Kinds);
        command.SetAction(Bench.BenchRunner.RunAsync);
        return command;
    }
}
