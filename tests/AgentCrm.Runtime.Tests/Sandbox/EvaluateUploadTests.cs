using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;
using AgentCrm.Sandbox.Cases;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>POST …/evaluate with an uploaded case file instead of a registered case set name.</summary>
public sealed class EvaluateUploadTests(EvaluateUploadTests.Server server) : IClassFixture<EvaluateUploadTests.Server>
{
    private const string Mapping = """
        name: uploaded
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
          - { column: nps, field: nps.latest, type: number }
        """;

    /// <summary><paramref name="rows"/> customers; every third churned. <paramref name="salt"/> makes the content (and so the name) differ.</summary>
    private static string Csv(int rows, string salt = "") =>
        "id,tenure,nps,churned\n" + string.Concat(Enumerable.Range(0, rows).Select(i => $"{salt}c{i},{(i % 3 == 0 ? 2 : 40)},{(i % 3 == 0 ? 2 : 9)},{(i % 3 == 0 ? 1 : 0)}\n"));

    private static MultipartFormDataContent Form(params (string Part, string FileName, string Body)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (part, fileName, body) in parts)
            form.Add(new StringContent(body, Encoding.UTF8, "text/plain"), part, fileName);
        return form;
    }

    private static string UploadName(string data, string aux) =>
        "upload:" + CaseSetHash.Of(Encoding.UTF8.GetBytes(data), Encoding.UTF8.GetBytes(aux))["sha256:".Length..][..12];

    private async Task<HttpResponseMessage> EvaluateAsync(HttpContent content, HttpClient? client = null) =>
        await (client ?? server.App.Client).PostAsync("/v1/agents/upload-agent/versions/1.0.0/evaluate", content);

    private async Task<(JsonElement Job, JsonElement Report)> RunAsync(HttpContent content, HttpClient? client = null)
    {
        using var start = await EvaluateAsync(content, client);
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var location = start.Headers.Location!.OriginalString;
        Assert.StartsWith("/v1/jobs/", location, StringComparison.Ordinal);
        for (var i = 0; i < 1200; i++)
        {
            var job = await server.App.GetJsonAsync(location);
            var state = job.GetProperty("state").GetString();
            if (state == "succeeded")
                return (job, await server.App.GetJsonAsync($"/v1/agents/upload-agent/versions/1.0.0/reports/latest"));
            Assert.True(state == "running", $"job ended {state}: {job}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"Expected the evaluation job {location} to finish within 60 s.");
    }

    private async Task<List<JsonElement>> UploadedSetsAsync() =>
        (await server.App.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString()!.StartsWith("upload:", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Evaluate_TabularUpload_JobCompletes_ReportNamesTheStoredSet()
    {
        var csv = Csv(30, "tab");
        var (job, report) = await RunAsync(Form(("cases", "cases.csv", csv), ("mapping", "mapping.yaml", Mapping)));

        var name = UploadName(csv, Mapping);
        Assert.Equal(30, report.GetProperty("cases").GetInt32());
        Assert.Equal(name, report.GetProperty("caseSet").GetString());
        Assert.Equal(name, job.GetProperty("subject").GetString()!.Split(" on ")[1]);
        var stored = (await UploadedSetsAsync()).Single(s => s.GetProperty("name").GetString() == name);
        Assert.Equal(30, stored.GetProperty("cases").GetInt32());
        Assert.Equal(10, stored.GetProperty("positives").GetInt32());
        Assert.Equal("tabular", stored.GetProperty("kind").GetString());
        // Stored durably like a named set: it can be evaluated on by name afterwards.
        Assert.Equal(30, (await server.App.EvaluateAsync("upload-agent", "1.0.0", name)).GetProperty("cases").GetInt32());
    }

    [Fact]
    public async Task Remove_UploadedSet_LeavesTheList_ItsReportStays_AndASecondRemoveIs404()
    {
        var csv = Csv(15, "remove");
        var (_, report) = await RunAsync(Form(("cases", "cases.csv", csv), ("mapping", "mapping.yaml", Mapping)));
        var name = UploadName(csv, Mapping);

        using var removed = await server.App.Client.DeleteAsync($"/v1/cases/{name}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        Assert.DoesNotContain(await UploadedSetsAsync(), s => s.GetProperty("name").GetString() == name);
        var kept = await server.App.GetJsonAsync("/v1/agents/upload-agent/versions/1.0.0/reports/latest");
        Assert.Equal(report.GetProperty("caseSetHash").GetString(), kept.GetProperty("caseSetHash").GetString());
        using var evaluate = await server.App.Client.PostAsync("/v1/agents/upload-agent/versions/1.0.0/evaluate",
            new StringContent($$"""{"caseSet":"{{name}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal("caseSet", (await evaluate.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Single().Name);
        using var again = await server.App.Client.DeleteAsync($"/v1/cases/{name}");
        await again.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("telco-churn", "ships with AgentCrm")]
    [InlineData("feedback:upload-agent", "reviewers' verdicts")]
    public async Task Remove_ShippedOrFeedbackSet_Is409_AndTheSetStays(string name, string reason)
    {
        using var response = await server.App.Client.DeleteAsync($"/v1/cases/{name}");

        Assert.Contains(reason, (await response.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (name == "telco-churn")
            Assert.Contains((await server.App.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray(), s => s.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Evaluate_SameUploadTwice_ReusesTheStoredSet()
    {
        var csv = Csv(12, "twice");
        var (_, first) = await RunAsync(Form(("cases", "a.csv", csv), ("mapping", "a.yaml", Mapping)));
        var setsAfterFirst = await UploadedSetsAsync();
        var (_, second) = await RunAsync(Form(("cases", "renamed.csv", csv), ("mapping", "renamed.yaml", Mapping)));

        Assert.Equal(first.GetProperty("caseSet").GetString(), second.GetProperty("caseSet").GetString());
        Assert.Equal(first.GetProperty("caseSetHash").GetString(), second.GetProperty("caseSetHash").GetString());
        var setsAfterSecond = await UploadedSetsAsync();
        Assert.Equal(setsAfterFirst.Select(s => s.GetProperty("name").GetString()), setsAfterSecond.Select(s => s.GetProperty("name").GetString()));
        // Not stored again: the first upload's record (and its time) stands.
        Assert.Equal(setsAfterFirst.Single(s => s.GetProperty("name").GetString() == first.GetProperty("caseSet").GetString()).GetProperty("createdAt").GetString(),
            setsAfterSecond.Single(s => s.GetProperty("name").GetString() == first.GetProperty("caseSet").GetString()).GetProperty("createdAt").GetString());
    }

    [Fact]
    public async Task Evaluate_TimelineUploadWithLabels_ReplaysEveryLabeledCustomer()
    {
        var (ndjson, labels) = CaseFiles.Timeline(21, DateTimeOffset.UtcNow.AddDays(-1));
        var (_, report) = await RunAsync(Form(("cases", "events.ndjson", ndjson), ("labels", "labels.csv", labels)));
        Assert.Equal(21, report.GetProperty("cases").GetInt32());
        Assert.Equal(UploadName(ndjson, labels), report.GetProperty("caseSet").GetString());
    }

    [Fact]
    public async Task Evaluate_UploadWithABadCsvLine_Is400NamingThePartAndLine_StoresNothing()
    {
        var before = await UploadedSetsAsync();
        var csv = Csv(5, "bad").Replace("badc1,40,9,0", "badc1,forty,9,0", StringComparison.Ordinal);
        using var response = await EvaluateAsync(Form(("cases", "cases.csv", csv), ("mapping", "mapping.yaml", Mapping)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var message = problem.GetProperty("errors").GetProperty("cases")[0].GetString()!;
        Assert.Contains("cases.csv line 3", message, StringComparison.Ordinal);
        Assert.Contains("tenure", message, StringComparison.Ordinal);
        Assert.Equal(before.Count, (await UploadedSetsAsync()).Count);
    }

    [Fact]
    public async Task Evaluate_UploadWithoutMapping_Is400NamingMapping()
    {
        using var response = await EvaluateAsync(Form(("cases", "cases.csv", Csv(3))));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("labels", problem.GetProperty("errors").GetProperty("mapping")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_TimelineSentWithItsLabelsAsTheMapping_Is400NamingMapping_WhetherOrNotTheSameBytesAreStored()
    {
        var (ndjson, labels) = CaseFiles.Timeline(6, DateTimeOffset.UtcNow.AddDays(-2));
        var wrongParts = () => Form(("cases", "ev.ndjson", ndjson), ("mapping", "labels.csv", labels));
        using (var fresh = await EvaluateAsync(wrongParts()))
            Assert.True((await fresh.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("mapping", out _), "a labels CSV is no mapping");

        // The same bytes stored as what they are (events and labels): the wrong parts are still refused, as before, not
        // answered with the stored timeline set because the bytes hash alike.
        await RunAsync(Form(("cases", "ev.ndjson", ndjson), ("labels", "labels.csv", labels)));
        var before = await UploadedSetsAsync();
        using var again = await EvaluateAsync(wrongParts());

        var problem = await again.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("mapping", out _), problem.ToString());
        Assert.Equal(before.Count, (await UploadedSetsAsync()).Count);
    }

    [Fact]
    public async Task Evaluate_UploadForAnUnknownVersion_Is404_StoresNothing()
    {
        var before = await UploadedSetsAsync();
        using var response = await server.App.Client.PostAsync("/v1/agents/upload-agent/versions/9.9.9/evaluate", Form(("cases", "cases.csv", Csv(4, "unknown")), ("mapping", "mapping.yaml", Mapping)));
        await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before.Count, (await UploadedSetsAsync()).Count);
    }

    [Theory]
    [InlineData(Roles.Csm)]
    [InlineData(Roles.Reviewer)]
    [InlineData(Roles.Integrator)]
    public async Task Evaluate_Upload_OnlyOpsOrAdmin(string role)
    {
        using var refused = await server.App.ClientAsync(role);
        using var response = await EvaluateAsync(Form(("cases", "cases.csv", Csv(6, role)), ("mapping", "mapping.yaml", Mapping)), refused);
        await response.ProblemAsync(HttpStatusCode.Forbidden);

        using var ops = await server.App.ClientAsync(Roles.Ops);
        var (_, report) = await RunAsync(Form(("cases", "cases.csv", Csv(6, role)), ("mapping", "mapping.yaml", Mapping)), ops);
        Assert.Equal(6, report.GetProperty("cases").GetInt32());
    }

    [Fact]
    public async Task CaseSets_UploadPrefix_IsReservedForUploads()
    {
        using var response = await server.App.Client.PostAsync("/v1/cases/upload:0123456789ab", Form(("file", "cases.csv", Csv(3)), ("mapping", "mapping.yaml", Mapping)));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("reserved", problem.GetProperty("errors").GetProperty("name")[0].GetString(), StringComparison.Ordinal);
    }

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await AgentCrmApp.StartAsync();
            using var registered = await App.Client.PostAsync("/v1/agents", new StringContent("""
                {"id":"upload-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps","usage"],
                 "reads":["tenure.months","nps.latest"],"purpose":"customer-success","threshold":0.5,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
                """, Encoding.UTF8, "application/json"));
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
