using System.Diagnostics;
using System.Globalization;
using AgentCrm.Agents;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Plugins;
using AgentCrm.Intake;

namespace AgentCrm.Bench;

/// <summary>
/// `agentcrm bench --kinds`: what an agent kind costs per Assess call, in one run over the same 2,000
/// customer snapshots — the compiled built-in renewal-risk (the baseline), the shipped rules example
/// (interpreted expressions), renewal-risk behind the plugin call path (per-call time limit) — next to
/// the cost of building the snapshot itself.
/// </summary>
internal static class KindsBench
{
    public static int Run(bool json)
    {
        var now = DateTimeOffset.UtcNow;
        var states = States(2_000, now);
        var renewal = BuiltInKinds.All.First(k => k.Name == "renewal-risk");
        var compiled = renewal.Create(renewal.BuiltIn!);
        var example = ManifestReader.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "agents/examples/expansion-opportunity.yaml")), "application/yaml");
        var rules = BuiltInKinds.All.First(k => k.Name == "rules").Create(example);
        var plugin = new TimeLimitedAgent(compiled, compiled.Manifest, PluginOptions.DefaultCallTimeout, PluginOptions.DefaultMaxHungCalls);

        var rows = new (string Name, IAgent? Agent)[] { ("snapshot build (no agent)", null), ("renewal-risk (compiled)", compiled), ("expansion-opportunity (rules)", rules), ("renewal-risk via plugin path", plugin) };
        foreach (var (_, agent) in rows)
            Rate(states, agent, now, TimeSpan.FromMilliseconds(300)); // warm-up
        var rates = rows.Select(r => (r.Name, PerSecond: Enumerable.Range(0, 3).Max(_ => Rate(states, r.Agent, now, TimeSpan.FromSeconds(1))))).ToList();
        var baseline = rates[1].PerSecond;
        Console.Error.WriteLine($"plugin threads started: {PluginThreads.Threads}");
        if (json)
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(rates.Select(r => new { r.Name, assessmentsPerSecond = Math.Round(r.PerSecond), costVsCompiled = Math.Round(baseline / r.PerSecond, 2) }), Cli.AgentCrmCli.JsonOutput));
        else
            foreach (var (name, perSecond) in rates)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-32} {perSecond,12:N0} /s  ({baseline / perSecond:0.00}x the compiled agent's time per call)"));
        return 0;
    }

    /// <summary>Snapshots built per second (no agent), or Assess calls per second over snapshots built beforehand.</summary>
    private static double Rate(List<CustomerState> states, IAgent? agent, DateTimeOffset now, TimeSpan duration)
    {
        var inputs = agent is null ? [] : states.Select(s => SnapshotBuilder.Build(s, s.LastEventAt ?? now).Only(agent.Manifest.Reads)).ToList();
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            if (agent is null)
                foreach (var s in states)
                    _ = SnapshotBuilder.Build(s, s.LastEventAt ?? now);
            else
                foreach (var snapshot in inputs)
                    _ = agent.Assess(snapshot);
            n += states.Count;
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    private static List<CustomerState> States(int customers, DateTimeOffset now)
    {
        var states = new List<CustomerState>();
        foreach (var batch in BenchRunner.Generate(customers * 20, customers, now, new Random(11), "k"))
            foreach (var line in batch.Split('\n'))
            {
                var e = EventStore.ParseStored(line);
                var idx = int.Parse(e.CustomerId.AsSpan(2), CultureInfo.InvariantCulture);
                while (states.Count <= idx)
                    states.Add(new CustomerState());
                CustomerTimeline.Apply(states[idx], e);
            }
        return states;
    }
}
