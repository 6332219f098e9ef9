using System.Runtime.CompilerServices;

namespace AgentCrm.Agents.Plugins;

/// <summary>A plugin's failure, with the plugin's exception type and message but no reference into its load context.</summary>
public sealed class PluginFailedException(string message) : Exception(message);

/// <summary>
/// Runs a plugin's <c>Assess</c> on a plugin thread with a time limit. A call past the limit is reported as a
/// <see cref="TimeoutException"/> (the pipeline counts it as an error); the call itself cannot be
/// aborted and finishes in the background. Once <c>maxHung</c> calls are still running, further calls
/// fail at once instead of tying up more threads. The count is the version's (<paramref name="hung"/>, shared by every
/// instance of it: live sets are rebuilt on each registry change, each sandbox job makes its own), not the instance's.
/// Results are copied so nothing of the plugin's own types outlives the call (the load context must be collectible after unregister).
/// </summary>
internal sealed class TimeLimitedAgent(IAgent inner, AgentManifest manifest, TimeSpan timeout, int maxHung, StrongBox<int>? hung = null) : IAgent
{
    private readonly StrongBox<int> _hung = hung ?? new StrongBox<int>();

    /// <summary>The registered manifest (what the consent gate and the briefs go by), whatever the plugin's agent reports.</summary>
    public AgentManifest Manifest { get; } = manifest;

    public int HungCalls => Volatile.Read(ref _hung.Value);

    public Assessment Assess(CustomerSnapshot snapshot)
    {
        if (Volatile.Read(ref _hung.Value) >= maxHung)
            throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version}: {maxHung} earlier calls are still running past the {timeout.TotalMilliseconds:0} ms limit; not called.");
        var call = PluginThreads.Run(() => inner.Assess(snapshot));
        bool finished;
        try
        {
            finished = call.Wait(timeout);
        }
        catch (AggregateException ex) when (ex.InnerException is { } e)
        {
            throw e is ManifestException or PluginFailedException ? e : new PluginFailedException($"{e.GetType().FullName}: {e.Message}");
        }
        if (!finished)
        {
            Interlocked.Increment(ref _hung.Value);
            _ = call.ContinueWith(_ => Interlocked.Decrement(ref _hung.Value), TaskScheduler.Default);
            throw new TimeoutException($"{Manifest.Id}@{Manifest.Version} did not answer within {timeout.TotalMilliseconds:0} ms.");
        }
        var a = call.Result ?? throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version} returned no assessment.");
        // The contract's range: a score past it would be stored in briefs and replayed reports as it came.
        if (a.Score is not (>= 0 and <= 1))
            throw new PluginFailedException($"{Manifest.Id}@{Manifest.Version} returned the score {a.Score}, outside [0, 1].");
        return new Assessment(a.Score, a.Fired, (a.Reasons ?? []).Select(Copy).ToList(), a.NextStep ?? "") { Headline = a.Headline ?? "", FindingKey = a.FindingKey ?? "" };
    }

    private static Reason Copy(Reason r) => new(r.Field ?? "", r.Value switch
    {
        null => null,
        double or string or bool => r.Value,
        IConvertible c when r.Value.GetType().IsPrimitive => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        _ => r.Value.ToString(),
    }, r.Weight, (r.EventIds ?? []).ToList(), r.Explanation ?? "");
}
