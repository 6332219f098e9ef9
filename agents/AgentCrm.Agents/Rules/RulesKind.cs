using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentCrm.Agents.Customers;
using AgentCrm.Agents.Rules.Expressions;

namespace AgentCrm.Agents.Rules;

/// <summary>
/// The <c>rules</c> kind: declarative agents written as a manifest. Everything is checked here, at
/// registration — syntax, fields (known and in <c>reads</c> or <c>optionalReads</c>), operand kinds (of literals and of
/// fields whose kind is fixed), weights, templates, defaults, limits —
/// so nothing about the manifest can fail at run time; only the step and text budgets are enforced there.
/// </summary>
public sealed partial class RulesKind : IAgentKind, INewManifestCheck, ITextsFromFields
{
    public const string KindName = "rules";
    public const int MaxConditions = 100;

    // The agents briefs are written again by (a page of briefs read without identity), compiled once per stored manifest and
    // dropped with it: the registry holds a version's manifest for as long as the version is stored.
    private readonly ConditionalWeakTable<AgentManifest, RulesAgent> _writers = new();

    public string Name => KindName;

    public AgentManifest? BuiltIn => null;

    /// <summary>
    /// The agent of a stored version: field kinds and default kinds are not held against it. Those checks came after some
    /// versions were stored, and such a version (<c>events.count30d.invoice == false</c>) ran before (the comparison is false)
    /// and must run after an upgrade, not drop out of the agent set while the registry shows it active.
    /// </summary>
    public IAgent Create(AgentManifest manifest) => Build(manifest, strict: false);

    /// <summary>The brief's texts written again (<see cref="ITextsFromFields"/>), as the version's agent writes them when it runs.</summary>
    public Assessment? Assess(AgentManifest manifest, CustomerSnapshot snapshot, CustomerSnapshot textsFrom)
    {
        try
        {
            return _writers.GetValue(manifest, m => Build(m, strict: false)).Assess(snapshot, textsFrom);
        }
        catch (Exception ex) when (ex is ManifestException or RuleLimitExceededException)
        {
            return null;
        }
    }

    /// <summary>Every check, field kinds and defaults included: for a manifest being registered.</summary>
    public void CheckNew(AgentManifest manifest) => Build(manifest, strict: true);

    private static RulesAgent Build(AgentManifest manifest, bool strict)
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
        // The rise in score that re-briefs a finding within its cooldown, as the compiled kinds check it: a negative one turned the
        // cooldown off, text was read as the default (qa38a #1). A stored version keeps what it ran with.
        if (strict && manifest.Parameters.TryGetValue("rescoreRise", out var rise)
            && (rise.ValueKind != JsonValueKind.Number || rise.GetDouble() is < 0 or > 1))
            Error("parameters.rescoreRise", "must be a number between 0 and 1 (the rise in score that re-briefs a finding within its cooldown).");
        var rules = manifest.Rules;
        if (rules is null)
            throw new ManifestException("rules", "kind rules needs a rules section with at least one condition.");

        // Fields in optionalReads are usable too: withheld by consent, they are absent (null, or their default) like any
        // field the customer has no value for, so the agent still runs and a template can say coalesce(profile.name, 'this customer').
        var reads = new HashSet<string>(manifest.Reads.Concat(manifest.OptionalReads), StringComparer.Ordinal);
        // A name no customer can have a value for (tickets.opne, events.count30d.email.Inquiry) is refused on a new manifest;
        // a stored version that uses one still loads, as it ran before (the field is simply absent).
        string? FieldAllowed(string name) =>
            !FieldCatalog.IsValid(name)
                ? $"unknown snapshot field '{name}'; a field is prefix.name with prefix one of {string.Join(", ", FieldCatalog.Prefixes.Keys)}."
                : strict && KnownFields.Problem(name) is { } unknown ? unknown
                : reads.Contains(name) ? null : $"'{name}' is not in reads or optionalReads; add it to one of them (the consent gate passes an agent only the fields it reads).";
        if (strict)
        {
            foreach (var (list, listPath) in new[] { (manifest.Reads, "reads"), (manifest.OptionalReads, "optionalReads") })
                for (var i = 0; i < list.Count; i++)
                    if (list[i] is { } read && FieldCatalog.IsValid(read) && KnownFields.Problem(read) is { } unknown)
                        Error($"{listPath}[{i}]", unknown);
        }
        var scope = new FieldScope(FieldAllowed, strict ? KindOf : _ => Expressions.ValueType.Any);

        if (rules.Conditions.Count == 0)
            Error("rules.conditions", "rules.conditions needs at least one condition.");
        if (rules.Conditions.Count > MaxConditions)
            Error("rules.conditions", $"at most {MaxConditions} conditions are allowed.");
        if (rules.MaxSteps is < 1 or > ExpressionLimits.MaxSteps)
            Error("rules.maxSteps", $"rules.maxSteps must be between 1 and {ExpressionLimits.MaxSteps}.");

        // On a new manifest, the parts that use no field run once here, within the manifest's own budget (when it is a valid one).
        long? budget = strict && rules.MaxSteps is >= 1 and <= ExpressionLimits.MaxSteps ? rules.MaxSteps : null;
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
                var type = ExpressionChecker.Check(when, scope, fields);
                if (type is Expressions.ValueType.Number or Expressions.ValueType.Text && !ExpressionChecker.IsPresenceTest(when))
                    throw new ExpressionException($"a condition must be a true/false test, not {Functions.Name(type)} (e.g. compare it: ... > 0).", 0);
                if (budget is { } steps && ConstantParts.Fault(when, steps) is { } fault)
                    throw new ExpressionException(ConstantFault(fault.Reason), fault.Position);
                // A test of no field is the same for every customer: its weight only moves every score alike, which is the threshold's work.
                if (strict && fields.Count == 0)
                    throw new ExpressionException("this condition tests no field, so it is the same for every customer (always true or always false); test a field (e.g. tickets.open > 3), and move the threshold rather than adding a constant weight.", 0);
            }
            catch (ExpressionException ex)
            {
                Error($"{path}.when", ex.Describe());
            }
            var explain = Template(c.Explain ?? "", $"{path}.explain", scope, Error, budget);
            if (when is not null)
                compiled.Add(new CompiledCondition(c.Name ?? $"condition{i}", when, c.Weight, explain, fields));
        }

        var defaults = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (field, value) in rules.Defaults)
        {
            var path = $"rules.defaults.{field}";
            if (FieldAllowed(field) is { } problem)
                Error(path, problem);
            else if (strict && Default(field, value) is { } fault)
                Error(path, fault);
            else
                defaults[field] = value.ValueKind switch
                {
                    JsonValueKind.Number => value.GetDouble(),
                    JsonValueKind.String => value.GetString()!,
                    _ => value.ValueKind == JsonValueKind.True,
                };
        }

        var headline = Template(rules.Brief.Headline ?? "", "rules.brief.headline", scope, Error, budget);
        var nextStep = Template(rules.Brief.NextStep ?? "", "rules.brief.nextStep", scope, Error, budget);

        // Every assessment runs every condition: a budget below the fewest steps they can take stops every one of them.
        var fewest = budget is { } allowed ? compiled.Sum(c => ConstantParts.MinSteps(c.When, allowed)) : 0;
        if (budget is not null && rules.MaxSteps < fewest)
            Error("rules.maxSteps", $"rules.maxSteps {rules.MaxSteps} is below the {fewest} steps the conditions take on every assessment at the least (one per part evaluated), so every assessment would stop; raise it.");

        var reachable = Math.Min(1, rules.Conditions.Where(c => c is not null && c.Weight > 0 && double.IsFinite(c.Weight)).Sum(c => c.Weight));
        if (rules.Conditions.Count > 0 && Math.Round(reachable, 6) < manifest.Threshold)
            Error("threshold", $"threshold {manifest.Threshold} can never be reached: the positive weights add up to {Math.Round(reachable, 6)}.");

        if (errors.Count > 0)
            throw new ManifestException(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        return new RulesAgent(manifest, compiled, defaults, headline, nextStep, rules.MaxSteps);
    }

    /// <summary>The kind a field's values have wherever it comes from; <see cref="Expressions.ValueType.Any"/> when each case mapping declares its own.</summary>
    private static Expressions.ValueType KindOf(string field) => FieldCatalog.KindOf(field) switch
    {
        FieldKind.Number => Expressions.ValueType.Number,
        FieldKind.Text => Expressions.ValueType.Text,
        _ => Expressions.ValueType.Any,
    };

    /// <summary>Why <paramref name="value"/> cannot be the default of <paramref name="field"/>, or null when it can.</summary>
    private static string? Default(string field, JsonElement value)
    {
        var kind = value.ValueKind switch
        {
            JsonValueKind.Number => Expressions.ValueType.Number,
            JsonValueKind.String => Expressions.ValueType.Text,
            JsonValueKind.True or JsonValueKind.False => Expressions.ValueType.Bool,
            _ => Expressions.ValueType.Any,
        };
        if (kind == Expressions.ValueType.Any)
            return "a default is a number, a text or true/false.";
        if (kind == Expressions.ValueType.Number && !(value.TryGetDouble(out var number) && double.IsFinite(number)))
            return "a default number must be finite.";
        if (kind == Expressions.ValueType.Text && ExpressionLimits.Characters(value.GetString()!) is var length && length > ExpressionLimits.MaxTextLength)
            return $"a default text has at most {ExpressionLimits.MaxTextLength} characters (this one has {length}).";
        var fieldKind = KindOf(field);
        return fieldKind != Expressions.ValueType.Any && fieldKind != kind
            ? $"'{field}' holds {Functions.Name(fieldKind)}, so its default must be {Functions.Name(fieldKind)}, not {Functions.Name(kind)}{(fieldKind == Expressions.ValueType.Number && kind == Expressions.ValueType.Bool ? " (true/false fields are 1/0)" : "")}."
            : null;
    }

    private static RuleTemplate Template(string text, string path, FieldScope scope, Action<string, string> error, long? maxSteps = null)
    {
        if (ExpressionLimits.Characters(text) is var length && length > ExpressionLimits.MaxSourceLength)
        {
            error(path, $"at most {ExpressionLimits.MaxSourceLength} characters (this one has {length}).");
            return RuleTemplate.Empty;
        }
        try
        {
            var template = RuleTemplate.Parse(text, scope, []);
            if (maxSteps is { } steps)
                foreach (var (expr, offset) in template.Placeholders)
                    if (ConstantParts.Fault(expr, steps) is { } fault)
                        throw new ExpressionException(ConstantFault(fault.Reason), offset + fault.Position);
            return template;
        }
        catch (ExpressionException ex)
        {
            error(path, ex.Describe());
            return RuleTemplate.Empty;
        }
    }

    private static string ConstantFault(string reason) =>
        $"this part uses no field, so it gives the same on every customer, and it always stops: {reason.TrimEnd('.')}.";

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,63}\z")]
    private static partial Regex NamePattern();
}
