using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>
/// Malformed JSON is told in one line with its 1-based line and column: System.Text.Json's "LineNumber: 0 |
/// BytePositionInLine: 6." beside "line 1" read as a contradiction, and its wording is the library's, not ours.
/// </summary>
public sealed class JsonSyntaxMessageTests : IClassFixture<HeadRequestTests.Server>
{
    private readonly HeadRequestTests.Server server;

    public JsonSyntaxMessageTests(HeadRequestTests.Server server) => this.server = server;

    private async Task<(string Field, string Message)> ErrorAsync(string path, string body, string mediaType = "application/json")
    {
        using var response = await server.App.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, mediaType));
        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        var first = Assert.Single(errors.EnumerateObject());
        return (first.Name, first.Value[0].GetString()!);
    }

    [Theory]
    [InlineData("{\"id\":", "Malformed JSON at line 1, column 7: the JSON ends before its value is complete (an object or array is not closed, or a value is missing).")]
    [InlineData("{\n  \"id\": \"x\",\n  \"é\": ]\n}", "Malformed JSON at line 3, column 8: ']' is an invalid start of a value.")]
    public async Task RegisterAgent_MalformedJson_OneLineWithItsLineAndColumn(string body, string expected)
    {
        var (field, message) = await ErrorAsync("/v1/agents", body);

        Assert.Equal("$", field);
        Assert.Equal(expected, message);
    }

    [Fact]
    public async Task Promote_MalformedJson_OneLineWithItsLineAndColumn()
    {
        var (_, message) = await ErrorAsync("/v1/agents/renewal-risk/versions/1.0.1/promote", "{\"canaryPercent\":");

        Assert.Equal("Malformed JSON at line 1, column 18: the JSON ends before its value is complete (an object or array is not closed, or a value is missing).", message);
    }

    [Fact]
    public async Task Events_MalformedJson_TellsTheLineAndColumnAsEveryEndpointDoes()
    {
        var (field, message) = await ErrorAsync("/v1/events", "[{\"id\":\"e1\",\n \"customerId\":");

        Assert.Equal("$", field);
        Assert.Equal("Malformed JSON at line 2, column 15: the JSON ends before its value is complete (an object or array is not closed, or a value is missing).", message);
    }

    [Fact]
    public async Task Events_AMalformedNdjsonLine_IsToldByItsLineInTheBody_AndItsColumn()
    {
        var good = """{"id":"ndjson-ok-1","customerId":"acme","type":"usage","occurredAt":"2026-01-01T00:00:00Z","attributes":{}}""";

        var (_, message) = await ErrorAsync("/v1/events", good + "\n{\"id\": ]", "application/x-ndjson");

        Assert.Equal("line 2: malformed JSON at column 8: ']' is an invalid start of a value.", message);
    }
}
