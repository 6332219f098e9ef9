using AgentCrm.Agents;

namespace AgentCrm.Runtime.Tests.Agents;

/// <summary>
/// A test agent kind that always fires and, for customers whose id starts with <c>held-</c>, holds its turn inside
/// <see cref="IAgent.Assess"/> until the test opens <see cref="Gate"/>: a turn in flight, on purpose, while the test
/// changes what the turn started with. Other customers (a sandbox replay) are assessed at once.
/// </summary>
public sealed class GatedKind : IAgentKind
{
    public ManualResetEventSlim Gate { get; } = new(false);

    /// <summary>Released once per held assessment, when it starts waiting.</summary>
    public SemaphoreSlim Entered { get; } = new(0);

    public string Name => "gated";

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest) => new Gated(manifest, this);

    public const string Manifest = """
        {"id":"gated","version":"1.0.0","kind":"gated","scenario":"renewal-risk","purpose":"customer-success",
         "subscribes":["usage"],"reads":["usage.last30d"],
         "threshold":0.5,"cooldownDays":0,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
        """;

    /// <summary>Waits until a held assessment has started (the turn is in flight).</summary>
    public async Task WaitEnteredAsync()
    {
        if (!await Entered.WaitAsync(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("Expected a held customer's turn to reach the gated agent within 30 s.");
    }

    private sealed class Gated(AgentManifest manifest, GatedKind kind) : IAgent
    {
        public AgentManifest Manifest => manifest;

        public Assessment Assess(CustomerSnapshot snapshot)
        {
            if (snapshot.CustomerId.StartsWith("held-", StringComparison.Ordinal))
            {
                kind.Entered.Release();
                if (!kind.Gate.Wait(TimeSpan.FromSeconds(60)))
                    throw new TimeoutException("The test never opened the gate.");
            }
            return new Assessment(1, true, [new Reason("usage.last30d", snapshot.Number("usage.last30d"), 1, [], "gated")]);
        }
    }
}
