using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>
/// A category value is data: "Basic" and "basic" are two values as the snapshot carries them, and a one-hot feature matches
/// them ordinally at run time. Fitting on them, evaluating by a segment that holds both, and registering a model that weighs
/// both all work (the content hash and the report's JSON once took them for one key and threw the .NET message).
/// </summary>
public sealed class CategoryCaseTests
{
    internal const string Mapping = """
        name: casemix
        scenario: renewal-risk
        id: Customer ID
        label: { column: "Churned?", positive: ["Yes"], negative: ["No"] }
        segment: { column: Plan }
        asOf: 2026-01-01T00:00:00Z
        fields:
          - { column: Plan, field: contract.type, type: text }
          - { column: Open Tickets, field: tickets.open, type: number }
          - { column: Usage Trend, field: usage.trend30d, type: number }
          - { column: Days To Renewal, field: contract.daysToEnd, type: number }
        """;

    /// <summary>1,000 customers, plans "Basic", "basic" and "Pro"; churn follows tickets, usage and plan, with noise (deterministic).</summary>
    internal static string Csv(int rows = 1000)
    {
        var random = new Random(7);
        var sb = new StringBuilder("Customer ID,Plan,Open Tickets,Usage Trend,Days To Renewal,Churned?\n");
        string[] plans = ["Basic", "basic", "Pro"];
        for (var i = 0; i < rows; i++)
        {
            var plan = plans[random.Next(plans.Length)];
            var tickets = random.Next(0, 7);
            var trend = Math.Round(random.NextDouble() * 1.2 - 0.8, 3);
            var days = random.Next(1, 400);
            var logit = -1 + 0.4 * tickets - 2 * trend + (plan == "basic" ? 0.8 : plan == "Basic" ? 0.2 : -0.5) + random.NextDouble() * 2 - 1;
            var churned = logit > 0.6 ? "Yes" : "No";
            sb.Append(CultureInfo.InvariantCulture, $"C{i:000000},{plan},{tickets},{trend},{days},{churned}\n");
        }
        return sb.ToString();
    }

    [Fact]
    public async Task Fit_OnCategoriesDifferingOnlyInCase_RegistersBothAndEvaluates()
    {
        var dir = TempDirectory.Create();
        var csv = Path.Combine(dir, "casemix.csv");
        var mapping = Path.Combine(dir, "casemix.yaml");
        await File.WriteAllTextAsync(csv, Csv());
        await File.WriteAllTextAsync(mapping, Mapping);
        var add = await CliRunner.RunAsync(["cases", "add", "casemix", csv, "--mapping", mapping, "--data", dir]);
        Assert.True(add.ExitCode == 0, add.Stderr);

        var manifest = Path.Combine(dir, "fitted.json");
        var fit = await CliRunner.RunAsync(["agents", "fit", "renewal-risk", "--cases", "casemix", "--out", manifest, "--data", dir, "--json"], timeLimit: TimeSpan.FromMinutes(4));

        Assert.True(fit.ExitCode == 0, fit.Stderr);
        var written = await File.ReadAllTextAsync(manifest);
        Assert.Contains("\"Basic\"", written, StringComparison.Ordinal);
        Assert.Contains("\"basic\"", written, StringComparison.Ordinal);
        var evaluate = await CliRunner.RunAsync(["agents", "evaluate", "renewal-risk@1.1.0", "--cases", "casemix", "--data", dir, "--json"]);
        Assert.True(evaluate.ExitCode is 0 or 1 && evaluate.Stdout.Length > 0, evaluate.Stderr);
        var segments = JsonDocument.Parse(evaluate.Stdout).RootElement.GetProperty("perSegment");
        Assert.True(segments.TryGetProperty("Basic", out _) && segments.TryGetProperty("basic", out _), segments.ToString());
    }

    private const string Manifest = """
        {
          "id": "plan-risk",
          "version": "1.0.0",
          "kind": "renewal-risk",
          "scenario": "renewal-risk",
          "subscribes": ["contract"],
          "reads": ["contract.type"],
          "purpose": "customer-success",
          "threshold": 0.5,
          "parameters": { "model": { "type": "logistic", "intercept": -1, "features": [
            { "kind": "categorical", "field": "contract.type", "weights": { "Basic": 1.0, "basic": 0.5 } } ] } }
        }
        """;

    [Fact]
    public async Task Register_ModelWeighingBasicAndbasic_IsCreated_AndKeepsBoth()
    {
        await using var app = await AgentCrmApp.StartAsync();

        var created = await app.Client.PostAsync("/v1/agents", new StringContent(Manifest, Encoding.UTF8, "application/json"));

        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var stored = await app.Client.GetStringAsync("/v1/agents/plan-risk/versions/1.0.0");
        Assert.Contains("\"Basic\"", stored, StringComparison.Ordinal);
        Assert.Contains("\"basic\"", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterCli_ModelWeighingBasicAndbasic_ExitsZero()
    {
        var dir = TempDirectory.Create();
        var file = Path.Combine(dir, "plan-risk.json");
        await File.WriteAllTextAsync(file, Manifest);

        var register = await CliRunner.RunAsync(["agents", "register", file, "--data", dir]);

        Assert.True(register.ExitCode == 0, register.Stderr);
    }
}
