namespace AgentCrm.Sandbox;

/// <summary>A stored case set's summary.</summary>
public sealed record CaseSetInfo(string Name, string Kind, string Hash, int Cases, int Positives, DateTimeOffset CreatedAt);

/// <summary>A case set that cannot be removed: a shipped one or one made from reviewers' verdicts.</summary>
public sealed class CaseSetProtectedException(string message) : Exception(message);

/// <summary>A case set name (a registered one, or an uploaded file's content name) taken by a different content.</summary>
public sealed class CaseSetConflictException(string message) : Exception(message);

/// <summary>What adding a named case set did: stored it, or found the same content already under that name.</summary>
public sealed record CaseSetAdded(CaseSetInfo Set, bool Unchanged);
