namespace AgentCrm.Agents;

/// <summary>The customer event center: every event type intake accepts.</summary>
public static class EventTypes
{
    /// <summary>All allowed event types.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "profile", "contract", "invoice", "payment", "usage", "login",
        "support_ticket", "nps", "web_visit", "email", "document", "news",
    ];

    private static readonly HashSet<string> Set = new(All, StringComparer.Ordinal);

    /// <summary>True when <paramref name="type"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string type) => Set.Contains(type);
}
