using System.Diagnostics.Metrics;

namespace AgentCrm.Agents.Plugins;

/// <summary>What plugins hold that nothing else shows: load contexts not yet collected, and calls that never returned.</summary>
internal static class PluginGauges
{
    public static void Add(Meter meter, PluginKind plugins)
    {
        meter.CreateObservableGauge("agentcrm.plugin.load_contexts", () => LoadContexts(plugins),
            description: "Plugin load contexts by state: loaded (a registered version uses the assembly), unloading (unloaded, not yet collected).");
        meter.CreateObservableGauge("agentcrm.plugin.calls_hung", () => plugins.HungCalls().Select(v =>
                new Measurement<int>(v.Hung, new KeyValuePair<string, object?>("agent", v.Id), new KeyValuePair<string, object?>("version", v.Version))),
            description: "Plugin calls still running past their time limit, per version: each holds a plugin thread (and burns a core if it spins) until it returns or the process restarts.");
    }

    private static Measurement<int>[] LoadContexts(PluginKind plugins)
    {
        var (loaded, unloading) = plugins.LoadContexts();
        return [new(loaded, new KeyValuePair<string, object?>("state", "loaded")), new(unloading, new KeyValuePair<string, object?>("state", "unloading"))];
    }
}
