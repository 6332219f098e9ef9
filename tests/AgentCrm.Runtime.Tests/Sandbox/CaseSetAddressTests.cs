using System.Net;
using System.Text;

namespace AgentCrm.Runtime.Tests.Sandbox;

/// <summary>The <c>Location</c> a case set's 201 names answers GET: the set as <c>GET /v1/cases</c> lists it (it was 405).</summary>
public sealed class CaseSetAddressTests
{
    private const string Csv = "id,tenure,churned\nu1,3,1\nu2,40,0\n";

    private const string Mapping = """
        name: upload-cases
        id: id
        label: { column: churned, positive: "1" }
        fields:
          - { column: tenure, field: tenure.months, type: number }
        """;

    [Fact]
    public async Task PostCases_201Location_AnswersGet_WithTheSetAsListed_AndAnUnknownNameIs404()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Csv)), "file", "cases.csv" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Mapping)), "mapping", "mapping.yaml" },
        };
        using var created = await app.Client.PostAsync("/v1/cases/mine", form);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");

        using var got = await app.Client.GetAsync(created.Headers.Location);

        var body = await got.Content.ReadAsStringAsync();
        Assert.True(got.StatusCode == HttpStatusCode.OK, $"{(int)got.StatusCode} {body}");
        var listed = (await app.GetJsonAsync("/v1/cases")).GetProperty("items").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "mine");
        Assert.Equal(listed.ToString(), System.Text.Json.JsonDocument.Parse(body).RootElement.ToString());
        Assert.Equal(2, listed.GetProperty("cases").GetInt32());
        var missing = await (await app.Client.GetAsync("/v1/cases/nothing-here")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("nothing-here", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
