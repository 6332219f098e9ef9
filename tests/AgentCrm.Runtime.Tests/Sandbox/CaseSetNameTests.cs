using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Runtime.Tests.Cli;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>A case set name holds one content: reports name its hash, so it must stay replayable.</summary>
public sealed class CaseSetNameTests
{
    private const string Mapping = """
        name: named
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
        """;

    private static string Csv(int rows) =>
        "id,tenure,churned\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"c{i},{(i % 3 == 0 ? 2 : 40)},{(i % 3 == 0 ? 1 : 0)}\n"));

    private static MultipartFormDataContent Form(string csv)
    {
        var form = new MultipartFormDataContent();
        form.Add(new StringContent(csv, Encoding.UTF8, "text/csv"), "file", "cases.csv");
        form.Add(new StringContent(Mapping, Encoding.UTF8, "text/plain"), "mapping", "mapping.yaml");
        return form;
    }

    private static async Task<JsonElement> SetAsync(AgentCrmApp app, string name) =>
        (await app.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Post_SameNameSameContent_Is200Unchanged_OtherContent_Is409NamingName_UntilRemoved()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using (var created = await app.Client.PostAsync("/v1/cases/good1", Form(Csv(9))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = await SetAsync(app, "good1");

        using (var again = await app.Client.PostAsync("/v1/cases/good1", Form(Csv(9))))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(first.GetProperty("hash").GetString(), body.GetProperty("hash").GetString());
        }
        Assert.Equal(first.GetProperty("createdAt").GetString(), (await SetAsync(app, "good1")).GetProperty("createdAt").GetString());

        using (var other = await app.Client.PostAsync("/v1/cases/good1", Form(Csv(3))))
        {
            var problem = await other.ProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("cases remove good1", problem.GetProperty("errors").GetProperty("name")[0].GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(9, (await SetAsync(app, "good1")).GetProperty("cases").GetInt32());

        using (var removed = await app.Client.DeleteAsync("/v1/cases/good1"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using (var replaced = await app.Client.PostAsync("/v1/cases/good1", Form(Csv(3))))
            Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.Equal(3, (await SetAsync(app, "good1")).GetProperty("cases").GetInt32());
    }

    [Fact]
    public async Task Post_ShippedName_OtherContent_Is409_AndTheShippedSetSurvivesARestart()
    {
        var dir = TempDirectory.Create();
        await using (var app = await AgentCrmApp.StartAsync(dir))
        {
            var shipped = await SetAsync(app, "telco-churn");
            using var response = await app.Client.PostAsync("/v1/cases/telco-churn", Form(Csv(30)));
            var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains("ships with AgentCrm", problem.GetProperty("errors").GetProperty("name")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal(shipped.GetProperty("hash").GetString(), (await SetAsync(app, "telco-churn")).GetProperty("hash").GetString());
        }
        await using var restarted = await AgentCrmApp.StartAsync(dir);
        Assert.Equal(5000, (await SetAsync(restarted, "telco-churn")).GetProperty("cases").GetInt32());
    }

    [Fact]
    public async Task CliAdd_SameContentIsUnchanged_OtherContentOrAShippedName_ExitsOneWithOneLine()
    {
        var dir = TempDirectory.Create();
        var (a, b, mapping) = (Path.Combine(dir, "a.csv"), Path.Combine(dir, "b.csv"), Path.Combine(dir, "m.yaml"));
        await File.WriteAllTextAsync(a, Csv(9));
        await File.WriteAllTextAsync(b, Csv(3));
        await File.WriteAllTextAsync(mapping, Mapping);

        Assert.Equal(0, (await CliRunner.RunAsync(["cases", "add", "good1", a, "--mapping", mapping, "--data", dir])).ExitCode);
        var again = await CliRunner.RunAsync(["cases", "add", "good1", a, "--mapping", mapping, "--data", dir, "--json"]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.True(JsonDocument.Parse(again.Stdout).RootElement.GetProperty("unchanged").GetBoolean());
        // Printed as it reads, not JSON-in-HTML escaped (\u002B for the offset's plus sign).
        Assert.Contains("+00:00\"", again.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", again.Stdout, StringComparison.Ordinal);

        var before = await CasesAsync(dir);
        foreach (var (name, expected) in new[] { ("good1", "cases remove good1"), ("iranian-churn", "ships with AgentCrm") })
        {
            var refused = await CliRunner.RunAsync(["cases", "add", name, b, "--mapping", mapping, "--data", dir]);
            Assert.True(refused.ExitCode == 1, $"exit {refused.ExitCode}: {refused.Stderr}");
            Assert.Single(refused.Stderr.Trim().Split('\n'));
            Assert.Contains(expected, refused.Stderr, StringComparison.Ordinal);
        }
        var after = await CasesAsync(dir);
        Assert.Equal(9, after["good1"].Cases);
        Assert.Equal(before, after);
    }

    private static async Task<Dictionary<string, (int Cases, string Hash)>> CasesAsync(string dir) =>
        JsonDocument.Parse((await CliRunner.RunAsync(["cases", "list", "--data", dir, "--json"])).Stdout).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => (s.GetProperty("cases").GetInt32(), s.GetProperty("hash").GetString()!));
}
