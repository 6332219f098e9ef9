using System.Diagnostics;
using AgentCrm.Agents;
using AgentCrm.Sandbox;
using AgentCrm.Sandbox.Cases;
using AgentCrm.Sandbox.Replay;

namespace AgentCrm.Bench;

/// <summary>
/// `agentcrm bench --replay`: the shipped telco case set through one agent with the sandbox replay
/// (parallel, per-case time limit, report-ready results), next to a plain loop of Assess calls over the
/// same snapshots in the same run.
/// </summary>
internal static class ReplayBench
{
    public static int Run(bool json)
    {
        var (name, data, mapping) = CaseSetStore.BuiltIns[0];
        var set = CaseSetLoader.LoadTabular(Path.Combine(AppContext.BaseDirectory, data), Path.Combine(AppContext.BaseDirectory, mapping), name);
        var kind = BuiltInKinds.All.First(k => k.Name == "renewal-risk");
        var agent = kind.Create(kind.BuiltIn!);

        // Warm up both paths, then take the best of five runs of each (the machine is noisy).
        ReplayEngine.Replay(agent, set.Cases);
        PlainLoop(agent, set.Cases);
        var replay = Enumerable.Range(0, 5).Select(_ => Time(() => ReplayEngine.Replay(agent, set.Cases))).Min();
        var plain = Enumerable.Range(0, 5).Select(_ => Time(() => PlainLoop(agent, set.Cases))).Min();
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { cases = set.Cases.Count, replayMs = Math.Round(replay.TotalMilliseconds, 1), plainLoopMs = Math.Round(plain.TotalMilliseconds, 2), ratio = Math.Round(replay / plain, 1) }, Cli.AgentCrmCli.JsonOutput));
        else
        {
            Console.WriteLine($"replay          {set.Cases.Count:N0} {name} cases in {replay.TotalMilliseconds,8:0.0} ms ({set.Cases.Count / replay.TotalSeconds:N0} cases/s, {Environment.ProcessorCount} workers, per-case time limit)");
            Console.WriteLine($"plain loop      {set.Cases.Count:N0} Assess calls in {plain.TotalMilliseconds,8:0.00} ms (one thread, no limit)  → replay costs {replay / plain:0.0}x the bare calls");
        }
        return 0;
    }

    private static void PlainLoop(IAgent agent, IReadOnlyList<Case> cases)
    {
        foreach (var c in cases)
            _ = agent.Assess(c.Snapshot.Only(agent.Manifest.Reads));
    }

    private static TimeSpan Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed;
    }
}
