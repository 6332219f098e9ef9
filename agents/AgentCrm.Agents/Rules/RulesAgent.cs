using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Rules;

/// <summary>One checked condition: its expression, weight, reason template and the fields it reads.</summary>
internal sealed record CompiledCondition(string Name, Expr When, double Weight, RuleTemplate Explain, IReadOnlyList<string> Fields);

/// <summary>
/// A declarative agent: sums the weights of the conditions that hold (clamped to [0, 1]) and fires at the
/// threshold. Every evaluation shares one step budget; exceeding it, or building a text past the limit,
/// throws <see cref="RuleLimitExceededException"/>, which the pipeline counts as an error.
/// </summary>
internal sealed class RulesAgent(
    AgentManifest manifest,
    IReadOnlyList<CompiledCondition> conditions,
    IReadOnlyDictionary<string, object> defaults,
    RuleTemplate headline,
    RuleTemplate nextStep,
    long maxSteps) : IAgent
{
    public AgentManifest Manifest { get; } = manifest;

    public Assessment Assess(CustomerSnapshot snapshot) => Assess(snapshot, snapshot);

    /// <summary>
    /// The assessment of <paramref name="snapshot"/>, its texts (explanations, headline, next step) rendered from
    /// <paramref name="textsFrom"/> (<see cref="ITextsFromFields"/>); with its own step budget when that is another snapshot.
    /// </summary>
    public Assessment Assess(CustomerSnapshot snapshot, CustomerSnapshot textsFrom)
    {
        var evaluator = new ExpressionEvaluator(name => Lookup(snapshot, name), maxSteps);
        var texts = ReferenceEquals(textsFrom, snapshot) ? evaluator : new ExpressionEvaluator(name => Lookup(textsFrom, name), maxSteps);
        var score = 0.0;
        var reasons = new List<Reason>();
        foreach (var c in conditions)
        {
            if (!ExpressionEvaluator.Truthy(Run(c.Name, () => evaluator.Evaluate(c.When))))
                continue;
            score += c.Weight;
            var field = c.Fields.Count > 0 ? c.Fields[0] : c.Name;
            var explanation = c.Explain.IsEmpty ? c.Name : Run(c.Name, () => c.Explain.Render(texts));
            reasons.Add(new Reason(field, Lookup(snapshot, field), c.Weight,
                c.Fields.SelectMany(snapshot.EventIds).Distinct(StringComparer.Ordinal).ToList(), explanation));
        }
        score = Math.Round(Math.Clamp(score, 0, 1), 6);
        var fired = score >= Manifest.Threshold;
        var ordered = reasons.OrderByDescending(r => Math.Abs(r.Weight)).ToList();
        if (!fired)
            return new Assessment(score, false, ordered);
        return new Assessment(score, true, ordered, Run("brief.nextStep", () => nextStep.Render(texts)))
        {
            Headline = Run("brief.headline", () => headline.Render(texts)),
        };
    }

    private object? Lookup(CustomerSnapshot snapshot, string name) =>
        snapshot.Fields.TryGetValue(name, out var f) ? f.Number is { } n ? n : f.Text : defaults.GetValueOrDefault(name);

    private static T Run<T>(string where, Func<T> evaluate)
    {
        try
        {
            return evaluate();
        }
        catch (RuleLimitExceededException ex)
        {
            throw new RuleLimitExceededException($"{where}: {ex.Message}");
        }
    }
}
