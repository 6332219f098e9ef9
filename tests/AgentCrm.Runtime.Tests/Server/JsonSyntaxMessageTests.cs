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

    private async Task<(string Field, string Message)> ErrorAsync(string path, string body)
    {
        using var response = await server.App.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
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
        var (_, message) = await ErrorAsync("/v1/agents/renewal-risk/versions/1.0.0/promote", "{\"canaryPercent\":");

        Assert.Equal("Malformed JSON at line 1, column 18: the JSON ends before its value is complete (an object or array is not closed, or a value is missing).", message);
    }
}
