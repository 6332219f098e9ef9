using System.CommandLine;

namespace AgentCrm.Cli;

internal static class BenchCommand
{
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
