using System.Net;
using System.Text;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// YAML that YamlDotNet fails on with an exception other than its YamlException (a tab before the next line of a flow list or
/// mapping: InvalidOperationException from its scanner; an out-of-range <c>\U</c> escape, an empty tag or %TAG directive:
/// ArgumentException) was answered 500 by POST /v1/agents and POST /v1/cases/NAME, and printed by the CLI as
/// "Operation is not valid due to the current state of the object. (InvalidOperationException)" (qa37a #3). Now a 400 naming
/// the line (and the tab's column), and one line with exit 1; nothing registered or stored.
/// </summary>
public sealed class YamlParserFaultTests
{
    private const string TabInFlowMapping = "id: a\nversion: 1.0.0\nsubscribes:\n  - { x: 1,\n\ty: 2 }\n";
    private const string TabInFlowList = "id: a\nversion: 1.0.0\nsubscribes:\n  - [email,\n\tnps]\n";
    private const string TabMessage = "a tab indents this line; YAML indents with spaces only.";

    private static string Shipped(params string[] path) => Path.Combine([AppContext.BaseDirectory, "sandbox", .. path]);

    /// <summary>The shipped telco mapping with its tenure entry broken over two lines, the second indented by a tab (line 17).</summary>
    private static string TelcoMappingWithATab()
    {
        var mapping = File.ReadAllText(Shipped("mappings", "telco-churn.yaml"));
        var broken = mapping.Replace("  - { column: tenure, field: tenure.months", "  - { column: tenure,\n\tfield: tenure.months", StringComparison.Ordinal);
        Assert.NotEqual(mapping, broken);
        return broken;
    }

    private static string TelcoCsv() => string.Join('\n', File.ReadLines(Shipped("data", "churn", "ibm-telco", "Telco-Customer-Churn.csv")).Take(51)) + "\n";

    private static MultipartFormDataContent Upload(string csv, string mapping) => new()
    {
        { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "cases.csv" },
        { new ByteArrayContent(Encoding.UTF8.GetBytes(mapping)), "mapping", "telco-churn.yaml" },
    };

    private static async Task<string[]> ErrorsAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        return problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    [Theory]
    [InlineData(TabInFlowMapping)]
    [InlineData(TabInFlowList)]
    public async Task PostAgents_ATabIndentingAFlowCollectionsNextLine_Is400AtTheTab_AndRegistersNothing(string yaml)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/agents", new StringContent(yaml, Encoding.UTF8, "application/yaml"));

        Assert.Equal([$"Malformed YAML (line 5, column 1): {TabMessage}"], await ErrorsAsync(response, "$"));
        using var agent = await app.Client.GetAsync("/v1/agents/a");
        Assert.Equal(HttpStatusCode.NotFound, agent.StatusCode);
    }

    [Fact]
    public async Task PostCases_AMappingWithATabIndentingAFlowMappingsNextLine_Is400AtTheTab_AndStoresNothing()
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var response = await app.Client.PostAsync("/v1/cases/tabbed-telco", Upload(TelcoCsv(), TelcoMappingWithATab()));

        Assert.Equal([$"telco-churn.yaml line 17: malformed YAML: a tab indents this line (column 1); YAML indents with spaces only."], await ErrorsAsync(response, "mapping"));
        using var set = await app.Client.GetAsync("/v1/cases/tabbed-telco");
        Assert.Equal(HttpStatusCode.NotFound, set.StatusCode);
    }

    /// <summary>The other texts a fuzz of SafeYaml found escaping as ArgumentException or InvalidOperationException, on both endpoints.</summary>
    [Theory]
    [InlineData("id: a\nkind: renewal-risk\nversion: \"\\UFFFFFFFF\"\n", 3, "an escape (\\u, \\U) names no Unicode character; write one from 0 to 10FFFF, not a surrogate (D800 to DFFF).")]
    [InlineData("id: a\nkind: renewal-risk\nversion: !<> 1.0.0\n", 3, "an empty tag (!<>) or %TAG directive; remove it (tags are not read).")]
    [InlineData("%TAG ! \n---\nid: a\n", 1, "an empty tag (!<>) or %TAG directive; remove it (tags are not read).")]
    [InlineData("...\n!!str]-", 3, "the YAML cannot be read; check the brackets, quotes and indentation up to here.")]
    public async Task PostAgentsAndCases_YamlTheParserFailsOnOtherwise_Is400AtItsLine(string yaml, int line, string reason)
    {
        await using var app = await AgentCrmApp.StartAsync();

        using var agent = await app.Client.PostAsync("/v1/agents", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        using var cases = await app.Client.PostAsync("/v1/cases/fuzz", Upload(TelcoCsv(), yaml));

        var agentError = Assert.Single(await ErrorsAsync(agent, "$"));
        Assert.StartsWith($"Malformed YAML (line {line}, column ", agentError, StringComparison.Ordinal);
        Assert.EndsWith(reason, agentError, StringComparison.Ordinal);
        Assert.Equal([$"telco-churn.yaml line {line}: malformed YAML: {reason}"], await ErrorsAsync(cases, "mapping"));
    }

    [Fact]
    public async Task Cli_ATabIndentingAFlowCollectionsNextLine_IsOneLineAtTheTab_Exit1()
    {
        var dir = TempDirectory.Create();
        var manifest = Path.Combine(dir, "m.yaml");
        await File.WriteAllTextAsync(manifest, TabInFlowList);
        var csv = Path.Combine(dir, "cases.csv");
        await File.WriteAllTextAsync(csv, TelcoCsv());
        var mapping = Path.Combine(dir, "telco-churn.yaml");
        await File.WriteAllTextAsync(mapping, TelcoMappingWithATab());
        Assert.Equal(0, (await CliRunner.RunAsync(["agents", "list", "--data", dir])).ExitCode);

        var register = await CliRunner.RunAsync(["agents", "register", manifest, "--data", dir]);
        var add = await CliRunner.RunAsync(["cases", "add", "tabbed-telco", csv, "--mapping", mapping, "--data", dir]);

        Assert.Equal((1, $"agentcrm: {manifest}: Malformed YAML (line 5, column 1): {TabMessage}"), (register.ExitCode, register.Stderr.Trim()));
        Assert.Equal(1, add.ExitCode);
        var line = Assert.Single(add.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("telco-churn.yaml line 17: malformed YAML: a tab indents this line (column 1); YAML indents with spaces only.", line, StringComparison.Ordinal);
    }
}
