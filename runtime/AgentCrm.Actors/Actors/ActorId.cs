namespace AgentCrm.Actors;

/// <summary>A virtual actor's identity: its type name (as Dapr's /dapr/config lists it) and its id.</summary>
public readonly record struct ActorId(string Type, string Id)
{
    public override string ToString() => $"{Type}/{Id}";
}
