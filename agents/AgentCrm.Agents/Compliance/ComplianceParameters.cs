using System.Text.Json;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Compliance;

/// <summary>
/// <c>parameters</c> of a compliance-check manifest: <c>model</c> (a <see cref="TextModel"/> with an <c>unfair</c>
/// class and optionally one class per unfair-clause category; with <c>ensemble: true</c> a sentence scores the mean of
/// its <c>unfair</c> probability and its most likely category's, with <c>ensemble: "logit"</c> the sigmoid of the mean of
/// their logits, weighted by <c>ensembleShare</c>), an optional <c>clauseModel</c> (one class per
/// contract clause category, e.g. CUAD's) with a <c>policy</c> of clauses to <c>require</c> and clauses to
/// <c>flag</c>, how many sentences a brief quotes, and the re-brief rise.
/// </summary>
internal sealed record ComplianceParameters(TextModel Model, ComplianceEnsemble Ensemble, double EnsembleShare, TextModel? ClauseModel, IReadOnlyList<string> Require, IReadOnlyList<string> Flag, int MaxQuotes, double RescoreRise)
{
    private static readonly string[] Known = ["model", "ensemble", "ensembleShare", "clauseModel", "policy", "maxQuotes", "rescoreRise"];

    public static ComplianceParameters From(IReadOnlyDictionary<string, JsonElement> p)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var key in p.Keys.Where(k => !Known.Contains(k, StringComparer.Ordinal)))
            errors[$"parameters.{key}"] = [$"unknown parameter; allowed: {string.Join(", ", Known)}"];

        TextModel? Model(string key, bool required)
        {
            if (!p.TryGetValue(key, out var m))
            {
                if (required)
                    errors[$"parameters.{key}"] = ["is required: a text model (type: text) fitted with agentcrm agents fit compliance-check."];
                return null;
            }
            try
            {
                return TextModel.FromJson(m, $"parameters.{key}");
            }
            catch (ManifestException ex)
            {
                foreach (var (path, messages) in ex.Errors)
                    errors[path] = messages;
                return null;
            }
        }

        var model = Model("model", true);
        if (model is not null && model.Class(UnfairCategories.Unfair) is null)
            errors["parameters.model.classes"] = [$"must include the class '{UnfairCategories.Unfair}'."];
        var clauses = Model("clauseModel", false);
        List<string> require = [], flag = [];
        if (p.TryGetValue("policy", out var policy))
        {
            if (policy.ValueKind != JsonValueKind.Object)
                errors["parameters.policy"] = ["must be { require: [category…], flag: [category…] }."];
            else
            {
                foreach (var prop in policy.EnumerateObject().Where(x => x.Name is not ("require" or "flag")))
                    errors[$"parameters.policy.{prop.Name}"] = ["unknown key; allowed: require, flag"];
                require = Categories(policy, "require", clauses, errors);
                flag = Categories(policy, "flag", clauses, errors);
            }
        }
        var ensemble = ComplianceEnsemble.None;
        if (p.TryGetValue("ensemble", out var en))
        {
            if (ComplianceEnsembles.FromJson(en) is not { } mode)
                errors["parameters.ensemble"] = ["must be true (mean of probabilities), \"logit\" (mean of logits) or false"];
            else if ((ensemble = mode) != ComplianceEnsemble.None && model is not null && model.Classes.Count < 2)
                errors["parameters.ensemble"] = ["needs category classes in parameters.model beside 'unfair'."];
        }
        var share = 0.5;
        if (p.TryGetValue("ensembleShare", out var es) && (es.ValueKind != JsonValueKind.Number || (share = es.GetDouble()) is < 0 or > 1))
            errors["parameters.ensembleShare"] = ["must be a number between 0 and 1 (the unfair logit's share of the logit blend)"];
        var maxQuotes = 5;
        if (p.TryGetValue("maxQuotes", out var mq) && (mq.ValueKind != JsonValueKind.Number || !mq.TryGetInt32(out maxQuotes) || maxQuotes is < 1 or > 50))
            errors["parameters.maxQuotes"] = ["must be a whole number between 1 and 50"];
        var rise = 0.15;
        if (p.TryGetValue("rescoreRise", out var r) && (r.ValueKind != JsonValueKind.Number || (rise = r.GetDouble()) is < 0 or > 1))
            errors["parameters.rescoreRise"] = ["must be a number between 0 and 1"];
        if (errors.Count > 0)
            throw new ManifestException(errors);
        return new(model!, ensemble, share, clauses, require, flag, maxQuotes, rise);
    }

    private static List<string> Categories(JsonElement policy, string key, TextModel? clauses, Dictionary<string, string[]> errors)
    {
        var list = new List<string>();
        if (!policy.TryGetProperty(key, out var a))
            return list;
        if (a.ValueKind != JsonValueKind.Array)
        {
            errors[$"parameters.policy.{key}"] = ["must be a list of clause categories."];
            return list;
        }
        var i = 0;
        foreach (var v in a.EnumerateArray())
        {
            var name = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (name is null || clauses is null || clauses.Class(name) is null)
                errors[$"parameters.policy.{key}[{i}]"] = [clauses is null
                    ? "needs parameters.clauseModel, whose classes are the clause categories a policy can name."
                    : $"'{name}' is not a class of parameters.clauseModel; its classes: {string.Join(", ", clauses.Classes.Select(c => c.Name))}."];
            else
                list.Add(name);
            i++;
        }
        return list;
    }
}
