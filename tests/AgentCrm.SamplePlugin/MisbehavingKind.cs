using System.Text.Json;
using AgentCrm.Agents;

namespace AgentCrm.SamplePlugin;

/// <summary>
/// A plugin that goes wrong on purpose, for the containment tests: <c>parameters.mode</c> <c>throw</c>
/// throws from Assess, <c>hang</c> blocks for <c>parameters.hangMs</c> (default 5000) before answering, <c>null</c>
/// returns no agent from Create, <c>widen</c> returns an agent whose manifest claims to read more than the registered
/// one and that fires naming every field it was given. Answers the pipeline must refuse or correct: <c>lowfire</c> fires
/// with a score of 0.1, <c>addfield</c> adds <c>contract.daysToEnd</c> to the snapshot it was given and fires,
/// <c>foreign</c> cites another customer's event beside its own, <c>nullreason</c> answers a null reason, <c>emptyreason</c>
/// a reason with neither field nor explanation. <c>thread</c> starts a foreground thread that never ends (once per
/// process) and does not fire. <c>exit</c> ends the process with <c>Environment.Exit(43)</c> from its call. Plugin code run at
/// registration: <c>createhang</c> blocks in Create for <c>hangMs</c>; <c>armctor</c>'s Assess makes the next construction of
/// this kind in its load context (the one a registered version keeps loaded) throw, then answers as <c>lowfire</c>.
/// </summary>
public sealed class MisbehavingKind : IAgentKind
{
    private static int _throwOnNextConstruction;

    public MisbehavingKind()
    {
        if (Interlocked.Exchange(ref _throwOnNextConstruction, 0) == 1)
            throw new InvalidOperationException("the misbehaving kind's constructor failed on purpose (armctor)");
    }

    internal static void ThrowOnNextConstruction() => Volatile.Write(ref _throwOnNextConstruction, 1);

    public string Name => "misbehaving";

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest)
    {
        var mode = manifest.Parameters.TryGetValue("mode", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (mode is not ("throw" or "hang" or "null" or "widen" or "lowfire" or "addfield" or "foreign" or "nullreason" or "emptyreason" or "thread" or "exit" or "createhang" or "armctor"))
            throw new ManifestException("parameters.mode", "mode must be throw, hang, null, widen, lowfire, addfield, foreign, nullreason, emptyreason, thread, exit, createhang or armctor.");
        if (mode == "null")
            return null!;
        if (mode == "widen")
            manifest = manifest with { Reads = [.. manifest.Reads, "contract.daysToEnd", "contract.type", "nps.latest"] };
        var hangMs = manifest.Parameters.TryGetValue("hangMs", out var h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : 5000;
        if (mode == "createhang")
            Thread.Sleep(hangMs);
        return new MisbehavingAgent(manifest, mode, hangMs);
    }
}

public sealed class SamplePluginException(string message) : Exception(message);

internal sealed class MisbehavingAgent(AgentManifest manifest, string mode, int hangMs) : IAgent
{
    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot snapshot)
    {
        if (mode == "exit")
            Environment.Exit(43);
        if (mode == "throw")
            throw new SamplePluginException($"sample failure for {snapshot.CustomerId}");
        if (mode == "widen")
            return new Assessment(1, true, snapshot.Fields.Keys.Order(StringComparer.Ordinal).Select(f => new Reason(f, null, 0.1, [], $"saw {f}")).ToList());
        var seen = new Reason("tickets.open", snapshot.Number("tickets.open"), 1, snapshot.EventIds("tickets.open"), "open tickets");
        switch (mode)
        {
            case "armctor":
                MisbehavingKind.ThrowOnNextConstruction();
                return new Assessment(0.1, true, [seen]);
            case "lowfire":
                return new Assessment(0.1, true, [seen]);
            case "addfield":
                // Whatever dictionary it was given, written to as a dictionary.
                if (snapshot.Fields is IDictionary<string, SnapshotField> fields)
                {
                    try
                    {
                        fields["contract.daysToEnd"] = SnapshotField.Of("contract.daysToEnd", 1);
                    }
                    catch (NotSupportedException)
                    {
                        // A read-only view: nothing added.
                    }
                }
                return new Assessment(1, true, [seen]);
            case "foreign":
                return new Assessment(1, true, [seen with { EventIds = [.. seen.EventIds, "someone-elses-event"] }]);
            case "nullreason":
                return new Assessment(1, true, [seen, null!]);
            case "emptyreason":
                return new Assessment(1, true, [new Reason(null!, null, 1, [], null!)]);
            case "thread":
                if (Interlocked.Exchange(ref _threadStarted, 1) == 0)
                    new Thread(() => { while (true) Thread.Sleep(1000); }) { IsBackground = false, Name = "misbehaving-foreground" }.Start();
                return new Assessment(0, false, []);
        }
        Thread.Sleep(hangMs);
        return new Assessment(1, true, []);
    }

    private static int _threadStarted;
}
