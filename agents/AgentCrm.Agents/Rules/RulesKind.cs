using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Rules;

/// <summary>
/// The <c>rules</c> kind: declarative agents written as a manifest. Everything is checked here, at
/// registration — syntax, fields (known and in <c>reads</c>), operand kinds, weights, templates, limits —
/// so nothing about the manifest can fail at run time; only the step and text budgets are enforced there.
/// </summary>
public sealed partial class RulesKind : IAgentKind
{
    public const string KindName = "rules";
    public const int MaxConditions = 100;

    public string Name => KindName;

    public AgentManifest? BuiltIn => null;

    public IAgent Create(AgentManifest manifest)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Error(string path, string message)
        {
            if (!errors.TryGetValue(path, out var list))
                errors[path] = list = [];
            list.Add(message);
        }

        foreach (var key in manifest.Parameters.Keys.Where(k => k != "rescoreRise"))
            Error($"parameters.{key}", "kind rules takes no parameters but rescoreRise; conditions go under rules.");
        var rules = manifest.Rules;
        if (rules is null)
            throw new ManifestException("rules", "kind rules needs a rules section with at least one condition.");

        var reads = new HashSet<string>(manifest.Reads, StringComparer.Ordinal);
        string? FieldAllowed(string name) =>
            !FieldCatalog.IsValid(name)
                ? $"unknown snapshot field '{name}'; a field is prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}."
                : reads.Contains(name) ? null : $"'{name}' is not in reads; add it there (the consent gate passes an agent only the fields it reads).";

        if (rules.Conditions.Count == 0)
            Error("rules.conditions", "rules.conditions needs at least one condition.");
        if (rules.Conditions.Count > MaxConditions)
            Error("rules.conditions", $"at most {MaxConditions} conditions are allowed.");
        if (rules.MaxSteps is < 1 or > ExpressionLimits.MaxSteps)
            Error("rules.maxSteps", $"rules.maxSteps must be between 1 and {ExpressionLimits.MaxSteps}.");

        var compiled = new List<CompiledCondition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Conditions.Count && i < MaxConditions; i++)
        {
            var c = rules.Conditions[i];
            var path = $"rules.conditions[{i}]";
            if (c is null)
            {
                Error(path, "a condition is an object with name, when and weight.");
                continue;
            }
            if (!NamePattern().IsMatch(c.Name ?? ""))
                Error($"{path}.name", "name must be 1-64 letters, digits, dashes or underscores, starting with a letter.");
            else if (!names.Add(c.Name!))
                Error($"{path}.name", $"the name '{c.Name}' is used by an earlier condition.");
            if (!double.IsFinite(c.Weight) || c.Weight is < -1 or > 1)
                Error($"{path}.weight", "weight must be between -1 and 1.");
            var fields = new List<string>();
            Expr? when = null;
            try
            {
                when = ExpressionParser.Parse(c.When ?? "");
                var type = ExpressionChecker.Check(when, FieldAllowed, fields);
                if (type is Expressions.ValueType.Number or Expressions.ValueType.Text)
                    throw new ExpressionException($"a condition must be a true/false test, not {Functions.Name(type)} (e.g. compare it: ... > 0).", 0);
            }
            catch (ExpressionException ex)
            {
                Error($"{path}.when", ex.Describe());
            }
            var explain = Template(c.Explain ?? "", $"{path}.explain", FieldAllowed, Error);
            if (when is not null)
                compiled.Add(new CompiledCondition(c.Name ?? $"condition{i}", when, c.Weight, explain, fields));
        }

        var defaults = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (field, value) in rules.Defaults)
        {
            var path = $"rules.defaults.{field}";
            if (FieldAllowed(field) is { } problem)
                Error(path, problem);
            else if (value.ValueKind switch
                     {
                         JsonValueKind.Number => (object?)value.GetDouble(),
                         JsonValueKind.String => value.GetString(),
                         JsonValueKind.True => true,
                         JsonValueKind.False => false,
                         _ => null,
                     } is { } v)
                defaults[field] = v is string s && s.Length > ExpressionLimits.MaxTextLength ? "" : v;
            else
                Error(path, "a default is a number, a text or true/false.");
        }

        var headline = Template(rules.Brief.Headline ?? "", "rules.brief.headline", FieldAllowed, Error);
        var nextStep = Template(rules.Brief.NextStep ?? "", "rules.brief.nextStep", FieldAllowed, Error);

        var reachable = Math.Min(1, rules.Conditions.Where(c => c is not null && c.Weight > 0 && double.IsFinite(c.Weight)).Sum(c => c.Weight));
        if (rules.Conditions.Count > 0 && Math.Round(reachable, 6) < manifest.Threshold)
            Error("threshold", $"threshold {manifest.Threshold} can never be reached: the positive weights add up to {Math.Round(reachable, 6)}.");

        if (errors.Count > 0)
            throw new ManifestException(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        return new RulesAgent(manifest, compiled, defaults, headline, nextStep, rules.MaxSteps);
    }

    private static RuleTemplate Template(string text, string path, Func<string, string?> fieldAllowed, Action<string, string> error)
    {
        if (text.Length > ExpressionLimits.MaxSourceLength)
        {
            error(path, $"at most {ExpressionLimits.MaxSourceLength} characters.");
            return RuleTemplate.Empty;
        }
        try
        {
            return RuleTemplate.Parse(text, fieldAllowed, []);
        }
        catch (ExpressionException ex)
        {
            error(path, ex.Describe());
            return RuleTemplate.Empty;
        }
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,63}\z")]
    private static partial Regex NamePattern();
}
