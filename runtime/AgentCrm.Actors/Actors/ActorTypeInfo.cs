namespace AgentCrm.Actors;

/// <summary>
/// A registered actor type: its name, how to create an instance, the argument type of each method and,
/// optionally, its result type (the Dapr host needs them to read a call's JSON body and its answer; a
/// method without a declared result type answers a <see cref="System.Text.Json.JsonElement"/> there).
/// The set of types is fixed at start: agents hot-plug inside actors, not as actor types. <see cref="Repeatable"/> names the
/// methods that may run twice for one call with the effect of once (reads, and calls the actor dedupes itself): under Dapr
/// only those are sent again after a connection to daprd dropped mid-call; the others may have run, and are not.
/// </summary>
public sealed record ActorTypeInfo(string Name, Type ClrType, IReadOnlyDictionary<string, Type?> Methods, IReadOnlyDictionary<string, Type?>? Results = null,
    IReadOnlySet<string>? Repeatable = null)
{
    /// <summary>Whether <paramref name="method"/> may run twice for one call (<see cref="Repeatable"/>).</summary>
    public bool IsRepeatable(string method) => Repeatable?.Contains(method) == true;
}
