using System.Net;
using System.Text;
using System.Text.Json;
using AgentCrm.Access;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>GET /v1/reports/{reportId} (a job's <c>reportId</c>) and content negotiation on it and on <c>reports/latest</c>.</summary>
public sealed class ReportByIdTests(ReportByIdTests.Server server) : IClassFixture<ReportByIdTests.Server>
{
    private const string Latest = "/v1/agents/report-agent/versions/1.0.0/reports/latest";

    private async Task<HttpResponseMessage> GetAsync(string path, string? accept = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
            request.Headers.TryAddWithoutValidation("Accept", accept);
        return await (client ?? server.App.Client).SendAsync(request);
    }

    [Fact]
    public async Task Report_ByTheJobsReportId_IsTheJobsReport_WithItsId()
    {
        var report = await server.App.GetJsonAsync($"/v1/reports/{server.ReportId}");

        Assert.Equal(server.ReportId, report.GetProperty("id").GetString());
        Assert.Equal("report-agent", report.GetProperty("agentId").GetString());
        Assert.Equal(30, report.GetProperty("cases").GetInt32());
        Assert.True(report.TryGetProperty("precision", out _), report.GetRawText());
        // The latest report is the same one and names the same id.
        var latest = await server.App.GetJsonAsync(Latest);
        Assert.Equal(server.ReportId, latest.GetProperty("id").GetString());
        Assert.Equal(report.GetRawText(), latest.GetRawText());
    }

    [Fact]
    public async Task Report_Gated_NamesEachCriterionItWasJudgedBy_InJsonAndAtTheTopOfTheHtml()
    {
        var report = await server.App.GetJsonAsync($"/v1/reports/{server.ReportId}");
        Assert.True(report.GetProperty("passed").GetBoolean(), report.GetRawText());
        // A passing report said only "passed": not what it had to reach, nor its numbers against each minimum.
        var criteria = report.GetProperty("criteria");
        Assert.Equal(1, criteria.GetProperty("minCases").GetInt32());
        Assert.Equal(0, criteria.GetProperty("minPrecision").GetDouble());
        Assert.Equal(0.01, criteria.GetProperty("maxErrorRate").GetDouble());

        using var response = await GetAsync($"/v1/reports/{server.ReportId}", "text/html");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("<tr><td>scored cases</td><td>&gt;= 1</td><td>30</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>recall lower bound</td><td>&gt;= 0.000</td><td>0.000</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>errored cases</td><td>&lt;= 1.0%</td><td>0.0%</td></tr>", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("gate criterion", StringComparison.Ordinal) is > 0 and var at && at < html.IndexOf("<h2>Summary</h2>", StringComparison.Ordinal), html);
    }

    [Fact]
    public async Task Report_UnknownId_Is404Problem()
    {
        using var response = await GetAsync("/v1/reports/rep_nope");
        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("rep_nope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Roles.Csm, HttpStatusCode.OK)]
    [InlineData(Roles.Reviewer, HttpStatusCode.OK)]
    [InlineData(Roles.Ops, HttpStatusCode.OK)]
    [InlineData(Roles.Integrator, HttpStatusCode.Forbidden)]
    public async Task Report_ById_RolesAsForLatest(string role, HttpStatusCode expected)
    {
        using var client = await server.App.ClientAsync(role);
        using var response = await GetAsync($"/v1/reports/{server.ReportId}", client: client);
        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("application/json", false)]
    [InlineData("text/html", true)]
    [InlineData("text/html;q=0", false)]
    [InlineData("text/html;q=0, */*", false)]
    [InlineData("application/json, text/html;q=0.5", false)]
    [InlineData("text/html;q=0.5, application/json", false)]
    [InlineData("text/html;q=0.9, application/json;q=0.5", true)]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true)]
    [InlineData("text/*", true)]
    [InlineData("*/*", false)]
    [InlineData("image/png", false)]
    public async Task Report_BothEndpoints_HonourAcceptQualities(string? accept, bool html)
    {
        foreach (var path in new[] { $"/v1/reports/{server.ReportId}", Latest })
        {
            using var response = await GetAsync(path, accept);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} with Accept {accept}: {(int)response.StatusCode} {body}");
            Assert.Contains("Accept", response.Headers.Vary);
            if (html)
            {
                Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("<html", body, StringComparison.OrdinalIgnoreCase);
            }
            else
            {
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(server.ReportId, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
            }
        }
    }

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public string ReportId { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await AgentCrmApp.StartAsync();
            using var registered = await App.Client.PostAsync("/v1/agents", new StringContent("""
                {"id":"report-agent","version":"1.0.0","kind":"renewal-risk","scenario":"renewal-risk","subscribes":["nps"],
                 "reads":["tenure.months","nps.latest"],"purpose":"customer-success","threshold":0.5,"gate":{"minCases":1,"minPrecision":0,"minRecall":0}}
                """, Encoding.UTF8, "application/json"));
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
            var csv = "id,tenure,nps,churned\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"r{i},{(i % 3 == 0 ? 2 : 40)},{(i % 3 == 0 ? 2 : 9)},{(i % 3 == 0 ? 1 : 0)}\n"));
            using var form = new MultipartFormDataContent
            {
                { new StringContent(csv, Encoding.UTF8, "text/csv"), "cases", "cases.csv" },
                { new StringContent("name: report\nid: id\nlabel: { column: churned, positive: \"1\" }\nfields:\n  - { column: tenure, field: tenure.months, type: number }\n  - { column: nps, field: nps.latest, type: number }\n", Encoding.UTF8, "application/yaml"), "mapping", "mapping.yaml" },
            };
            using var start = await App.Client.PostAsync("/v1/agents/report-agent/versions/1.0.0/evaluate", form);
            Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
            var location = start.Headers.Location!.OriginalString;
            for (var i = 0; i < 1200; i++)
            {
                var job = await App.GetJsonAsync(location);
                var state = job.GetProperty("state").GetString();
                if (state == "succeeded")
                {
                    ReportId = job.GetProperty("reportId").GetString()!;
                    return;
                }
                Assert.True(state == "running", $"job ended {state}: {job}");
                await Task.Delay(50);
            }
            throw new TimeoutException($"Expected the evaluation job {location} to finish within 60 s.");
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
