using System.ComponentModel;
using System.Text.Json;

namespace AgentCrm.Agents;

/// <summary>
/// A declarative agent: named conditions in the rules expression language, each adding its weight to
/// the score when it holds; the score is the sum, clamped to [0, 1], compared with the manifest's threshold.
/// </summary>
[Description("Conditions, weights and brief template of a declarative agent (kind rules).")]
public sealed record RuleSet
{
    /// <summary>The conditions, in the order their reasons are listed when they carry equal weight.</summary>
    [Description("Named conditions; each adds its weight to the score when its expression is true.")]
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];

    /// <summary>Values used for snapshot fields the customer has no value for (e.g. a count of 0).</summary>
    [Description("Values for snapshot fields that are absent (field name -> number, text or boolean).")]
    public IReadOnlyDictionary<string, JsonElement> Defaults { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The brief's headline and next step, with <c>{expression}</c> placeholders.</summary>
    [Description("Brief template; {expression} placeholders, e.g. {profile.name}.")]
    public RuleBrief Brief { get; init; } = new();

    /// <summary>Evaluation steps one assessment may take before it is stopped and counted as an error.</summary>
    [Description("Evaluation steps one assessment may take (1-1000000, default 10000).")]
    public int MaxSteps { get; init; } = 10_000;
}

/// <summary>One named condition of a <see cref="RuleSet"/>.</summary>
[Description("A named condition.")]
public sealed record RuleCondition
{
    /// <summary>Name, letters, digits, dashes and underscores (e.g. <c>inquiries</c>).</summary>
    [Description("Name: letters, digits, dashes, underscores.")]
    public required string Name { get; init; }

    /// <summary>A true/false expression over snapshot fields, e.g. <c>events.count30d.email &gt;= 2</c>.</summary>
    [Description("A true/false expression over snapshot fields, e.g. events.count30d.email >= 2 and not (billing.overdueInvoices > 0).")]
    public required string When { get; init; }

    /// <summary>What the condition adds to the score when it holds (between -1 and 1).</summary>
    [Description("Added to the score when the condition holds (-1 to 1).")]
    public double Weight { get; init; } = 1;

    /// <summary>The reason's wording for a CSM, with <c>{expression}</c> placeholders.</summary>
    [Description("The reason as a CSM reads it; {expression} placeholders.")]
    public string Explain { get; init; } = "";
}

/// <summary>The text a declarative agent's brief starts from.</summary>
[Description("Brief template.")]
public sealed record RuleBrief
{
    /// <summary>The headline; empty for the default headline.</summary>
    [Description("Headline; {expression} placeholders.")]
    public string Headline { get; init; } = "";

    /// <summary>What the CSM should do next.</summary>
    [Description("Next step for the CSM; {expression} placeholders.")]
    public string NextStep { get; init; } = "";
}
