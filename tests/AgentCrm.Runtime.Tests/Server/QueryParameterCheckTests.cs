using System.Net;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>A query string an endpoint would misread (a typo, a repeat, an empty value) is a 400 naming the parameter.</summary>
public sealed class QueryParameterCheckTests : IClassFixture<QueryParameterCheckTests.Server>
{
    private readonly Server server;

    public QueryParameterCheckTests(Server server) => this.server = server;

    public sealed class Server : IAsyncLifetime
    {
        public AgentCrmApp App { get; private set; } = null!;

        public async Task InitializeAsync() => App = await AgentCrmApp.StartAsync();

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    [Theory]
    [InlineData("/v1/briefs?stauts=vetoed", "stauts", "did you mean status?")]
    [InlineData("/v1/briefs?customerId=a&customerId=b", "customerId", "given 2 times")]
    [InlineData("/v1/briefs?customerId=", "customerId", "is empty")]
    [InlineData("/v1/briefs?limit=", "limit", "is empty")]
    [InlineData("/v1/audit?subjet=brief:x", "subjet", "did you mean subject?")]
    [InlineData("/v1/jobs?state=running&page=2", "page", "it takes agent, cursor, kind, limit, state")]
    [InlineData("/v1/jobs?agent=Bad_Id", "agent", "is no agent id: an agent id is 2-64 characters")]
    [InlineData("/v1/briefs?agentId=renewal%01risk", "agentId", "is no agent id: an agent id is 2-64 characters")]
    [InlineData("/v1/agents/renewal-risk?verbose=1", "verbose", "takes no query parameters")]
    public async Task MisreadQuery_Is400NamingTheParameter(string url, string field, string says)
    {
        using var response = await server.App.Client.GetAsync(url);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), problem.GetRawText());
        Assert.Contains(says, messages[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/briefs?customerId=acme&status=delivered&limit=5")]
    [InlineData("/v1/briefs?CUSTOMERID=acme")]
    [InlineData("/v1/agents/renewal-risk")]
    [InlineData("/v1/knowledge/search?q=renewal&k=3")]
    public async Task DeclaredParameters_AreAnsweredAsBefore(string url)
    {
        using var response = await server.App.Client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task ManyErrors_AreListedUpToTheLimit_WithTheCountOfTheRest()
    {
        var query = string.Join("&", Enumerable.Range(0, 150).Select(i => $"p{i}=1"));
        using var response = await server.App.Client.GetAsync($"/v1/briefs?{query}");
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(AgentCrm.Server.Problems.MaxErrors, problem.GetProperty("errors").EnumerateObject().Count());
        Assert.Equal(150 - AgentCrm.Server.Problems.MaxErrors, problem.GetProperty("errorsNotListed").GetInt32());
        Assert.EndsWith("(and 50 more errors not listed)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutCredential_IsStill401_BeforeAnyParameterIsLookedAt()
    {
        using var anonymous = await server.App.ClientAsync(null);
        using var response = await anonymous.GetAsync("/v1/briefs?stauts=vetoed");
        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }
}
