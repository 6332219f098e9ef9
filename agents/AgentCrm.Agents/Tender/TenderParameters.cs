using System.Text.Json;
using AgentCrm.Agents.Text;

namespace AgentCrm.Agents.Tender;

/// <summary>
/// <c>parameters</c> of a tender-detection manifest: <c>model</c> (a <see cref="TextModel"/> whose class
/// <c>match</c> says a notice is for our product category), how old a notice may be, and the web-behaviour
/// score: <c>web.intercept</c> + <c>web.burst</c> × ln((1 + visits this week) / (1 + weekly baseline)) +
/// <c>web.newVisitors</c> × new visitors from the customer's domain beyond its own usual number (at most 5), counted only from
/// <c>web.minVisits</c> intent visits in the week, and only once the customer's web history covers
/// <c>web.minBaselineWeeks</c> whole weeks before it (without a baseline, a first ordinary week looks like a burst).
/// </summary>
internal sealed record TenderParameters(TextModel? Model, double NoticeDays, double WebIntercept, double WebBurst, double WebNewVisitors, double MinVisits, double MinBaselineWeeks, double RescoreRise)
{
    public const string MatchClass = "match";

    /// <summary>Whole weeks of web history before this week that a burst is measured against, at least (of the 12 the baseline reads).</summary>
    public const double DefaultMinBaselineWeeks = 4;

    private static readonly string[] Known = ["model", "noticeDays", "web", "rescoreRise"];
    private static readonly string[] WebKnown = ["intercept", "burst", "newVisitors", "minVisits", "minBaselineWeeks"];

    public static TenderParameters From(IReadOnlyDictionary<string, JsonElement> p)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var key in p.Keys.Where(k => !Known.Contains(k, StringComparer.Ordinal)))
            errors[$"parameters.{key}"] = [$"unknown parameter; allowed: {string.Join(", ", Known)}"];

        double Number(JsonElement? o, string key, string path, double fallback, double min, double max)
        {
            JsonElement v = default;
            var found = o is { } obj ? obj.TryGetProperty(key, out v) : p.TryGetValue(key, out v);
            if (!found)
                return fallback;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= min && d <= max)
                return d;
            errors[path] = [$"must be a number between {min} and {max}"];
            return fallback;
        }

        TextModel? model = null;
        if (p.TryGetValue("model", out var m))
        {
            try
            {
                model = TextModel.FromJson(m, "parameters.model");
                if (model.Class(MatchClass) is null)
                    errors["parameters.model.classes"] = [$"must include the class '{MatchClass}'."];
            }
            catch (ManifestException ex)
            {
                foreach (var (path, messages) in ex.Errors)
                    errors[path] = messages;
            }
        }
        var noticeDays = Number(null, "noticeDays", "parameters.noticeDays", 30, 0, 3650);
        var rise = Number(null, "rescoreRise", "parameters.rescoreRise", 0.15, 0, 1);
        JsonElement? web = null;
        if (p.TryGetValue("web", out var w))
        {
            if (w.ValueKind != JsonValueKind.Object)
                errors["parameters.web"] = ["must be { intercept, burst, newVisitors, minVisits, minBaselineWeeks }."];
            else
            {
                web = w;
                foreach (var prop in w.EnumerateObject().Where(x => !WebKnown.Contains(x.Name, StringComparer.Ordinal)))
                    errors[$"parameters.web.{prop.Name}"] = [$"unknown key; allowed: {string.Join(", ", WebKnown)}"];
            }
        }
        var intercept = Number(web, "intercept", "parameters.web.intercept", -4, -50, 50);
        var burst = Number(web, "burst", "parameters.web.burst", 2.0, -50, 50);
        var newVisitors = Number(web, "newVisitors", "parameters.web.newVisitors", 0.8, -50, 50);
        var minVisits = Number(web, "minVisits", "parameters.web.minVisits", 5, 0, 1000);
        var minBaselineWeeks = Number(web, "minBaselineWeeks", "parameters.web.minBaselineWeeks", DefaultMinBaselineWeeks, 0, Customers.WebBaseline.BaselineWeeks);
        if (errors.Count > 0)
            throw new ManifestException(errors);
        return new(model, noticeDays, intercept, burst, newVisitors, minVisits, minBaselineWeeks, rise);
    }
}
