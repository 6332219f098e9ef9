namespace AgentCrm.Agents;

/// <summary>The outcome of one <see cref="IAgent.Assess"/> call.</summary>
/// <param name="Score">Risk or likelihood in [0, 1].</param>
/// <param name="Fired">True when the score reached the manifest's threshold.</param>
/// <param name="Reasons">Every factor that moved the score, strongest first.</param>
/// <param name="NextStep">What the CSM should do about it (used in the brief).</param>
public sealed record Assessment(double Score, bool Fired, IReadOnlyList<Reason> Reasons, string NextStep = "")
{
    /// <summary>An assessment that does not fire and explains nothing.</summary>
    public static Assessment None { get; } = new(0, false, []);

    /// <summary>The brief's headline when the agent writes its own (e.g. a declarative agent's template); empty for the default one.</summary>
    public string Headline { get; init; } = "";

    /// <summary>
    /// What the finding is, when the agent can name it (e.g. the clauses quoted, the notice): the cooldown is then kept per
    /// finding, so the same finding again is not re-briefed while a different one is. Empty (the default): one cooldown
    /// per agent and customer, whatever the finding.
    /// </summary>
    public string FindingKey { get; init; } = "";

    /// <summary>
    /// Several findings at once, each with its own cooldown (a tender notice and a web burst; each clause category of a
    /// document): the assessment briefs while one of them is not in cooldown, and its brief marks those that were not, so
    /// a new finding briefs at once while those already briefed wait out their own cooldowns. Empty (the default): the
    /// assessment is the one finding <see cref="FindingKey"/> names. With findings, <see cref="FindingKey"/> is empty or names
    /// the whole as a build before findings were listed did: a mark that build saved still holds the same whole back.
    /// </summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];
}

/// <summary>One of an assessment's <see cref="Assessment.Findings"/>.</summary>
/// <param name="Key">What the finding is, as <see cref="Assessment.FindingKey"/> names one.</param>
/// <param name="Score">The finding's own score in [0, 1]: its cooldown's re-brief margin is measured on it.</param>
public sealed record Finding(string Key, double Score)
{
    /// <summary>
    /// How long the finding's brief holds it back, in days, when that must be longer than the manifest's <c>cooldownDays</c>
    /// (0, the default: the manifest's): a finding that lasts a known time whatever the cooldown, such as a tender notice
    /// that counts for <c>noticeDays</c> (any later event within them re-briefed it once a shorter cooldown was over).
    /// </summary>
    public double CooldownDays { get; init; }
}

/// <summary>One factor of an assessment.</summary>
/// <param name="Field">The snapshot field it read.</param>
/// <param name="Value">The value it read.</param>
/// <param name="Weight">Its contribution to the score (signed, in the model's units).</param>
/// <param name="EventIds">The events behind the value.</param>
/// <param name="Explanation">A phrase a CSM understands, e.g. "contract ends in 41 days".</param>
public sealed record Reason(string Field, object? Value, double Weight, IReadOnlyList<string> EventIds, string Explanation);
