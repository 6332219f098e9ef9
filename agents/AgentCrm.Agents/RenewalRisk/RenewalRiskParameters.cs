using System.Text.Json;
using AgentCrm.Agents.Models;

namespace AgentCrm.Agents.RenewalRisk;

/// <summary>
/// The renewal-risk model: a logistic score over transparent factors, every weight in the manifest.
/// Either the hand-weighted factors below, or a fitted <see cref="RiskModel"/> (logistic or trees) under
/// <c>parameters.model</c> (then the factor parameters do not apply and are rejected).
/// </summary>
internal sealed record RenewalRiskParameters(
    double Intercept,
    IReadOnlyDictionary<string, double> Weights,
    double ContractHorizonDays,
    double ShortTenureDays,
    double LowNps,
    double RescoreRise)
{
    public RiskModel? Model { get; init; }

    public static readonly IReadOnlyDictionary<string, double> DefaultWeights = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [Factors.ContractEndingSoon] = 2.0,
        [Factors.MonthToMonth] = 1.2,
        [Factors.UsageDecline] = 3.0,
        [Factors.OpenTickets] = 1.5,
        [Factors.HighPriorityTickets] = 1.0,
        [Factors.PaymentFailures] = 2.0,
        [Factors.OverdueInvoices] = 1.0,
        [Factors.LowNps] = 1.5,
        [Factors.ShortTenure] = 0.8,
        [Factors.NoAutoRenew] = 0.4,
    };

    public static readonly RenewalRiskParameters Default = new(-3.0, DefaultWeights, 120, 365, 6, 0.15);

    private static readonly HashSet<string> Known = ["intercept", "weights", "contractHorizonDays", "shortTenureDays", "lowNps", "rescoreRise", "model"];
    private static readonly string[] FactorOnly = ["intercept", "weights", "contractHorizonDays", "shortTenureDays", "lowNps"];

    public static RenewalRiskParameters From(IReadOnlyDictionary<string, JsonElement> p)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var key in p.Keys.Where(k => !Known.Contains(k)))
            errors[$"parameters.{key}"] = [$"unknown parameter; allowed: {string.Join(", ", Known)}"];

        double Number(string key, double fallback, double min, double max)
        {
            if (!p.TryGetValue(key, out var v))
                return fallback;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || d < min || d > max)
            {
                errors[$"parameters.{key}"] = [$"must be a number between {min} and {max}"];
                return fallback;
            }
            return d;
        }

        var d = Default;
        var intercept = Number("intercept", d.Intercept, -50, 50);
        var horizon = Number("contractHorizonDays", d.ContractHorizonDays, 1, 1000);
        var tenure = Number("shortTenureDays", d.ShortTenureDays, 1, 5000);
        var lowNps = Number("lowNps", d.LowNps, 0, 10);
        var rise = Number("rescoreRise", d.RescoreRise, 0, 1);
        var weights = new Dictionary<string, double>(d.Weights, StringComparer.Ordinal);
        if (p.TryGetValue("weights", out var w))
        {
            if (w.ValueKind != JsonValueKind.Object)
                errors["parameters.weights"] = ["must be an object of factor → number"];
            else
                foreach (var prop in w.EnumerateObject())
                {
                    if (!d.Weights.ContainsKey(prop.Name))
                        errors[$"parameters.weights.{prop.Name}"] = [$"unknown factor; allowed: {string.Join(", ", d.Weights.Keys)}"];
                    else if (prop.Value.ValueKind != JsonValueKind.Number || prop.Value.GetDouble() is < -50 or > 50)
                        errors[$"parameters.weights.{prop.Name}"] = ["must be a number between -50 and 50"];
                    else
                        weights[prop.Name] = prop.Value.GetDouble();
                }
        }
        RiskModel? model = null;
        if (p.TryGetValue("model", out var m))
        {
            foreach (var key in FactorOnly.Where(p.ContainsKey))
                errors[$"parameters.{key}"] = ["does not apply when parameters.model is present (the model has its own intercept and weights)."];
            try
            {
                model = RiskModel.Read(m, "parameters.model");
            }
            catch (ManifestException ex)
            {
                foreach (var (path, messages) in ex.Errors)
                    errors[path] = messages;
            }
        }
        if (errors.Count > 0)
            throw new ManifestException(errors);
        return new(intercept, weights, horizon, tenure, lowNps, rise) { Model = model };
    }
}

internal static class Factors
{
    public const string ContractEndingSoon = "contractEndingSoon";
    public const string MonthToMonth = "monthToMonth";
    public const string UsageDecline = "usageDecline";
    public const string OpenTickets = "openTickets";
    public const string HighPriorityTickets = "highPriorityTickets";
    public const string PaymentFailures = "paymentFailures";
    public const string OverdueInvoices = "overdueInvoices";
    public const string LowNps = "lowNps";
    public const string ShortTenure = "shortTenure";
    public const string NoAutoRenew = "noAutoRenew";
}
